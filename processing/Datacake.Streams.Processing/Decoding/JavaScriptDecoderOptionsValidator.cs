using Microsoft.Extensions.Options;

namespace Datacake.Streams.Processing.Decoding;

public sealed class JavaScriptDecoderOptionsValidator : IValidateOptions<JavaScriptDecoderOptions>
{
    public ValidateOptionsResult Validate(string? name, JavaScriptDecoderOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (options.Timeout <= TimeSpan.Zero || options.Timeout > TimeSpan.FromSeconds(10))
        {
            failures.Add("Timeout must be within (0, 10 s]");
        }

        if (options.MemoryLimitBytes < 64 * 1024)
        {
            failures.Add("MemoryLimitBytes must be at least 64 KiB");
        }

        if (options.MaxStatements < 1000 || options.MaxRecursion < 8)
        {
            failures.Add("MaxStatements must be at least 1,000 and MaxRecursion at least 8");
        }

        if (options.MaxSourceLength < 1 || options.CompiledCacheSize < 1)
        {
            failures.Add("MaxSourceLength and CompiledCacheSize must be positive");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
