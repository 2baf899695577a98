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

        // The script's deadline is Timeout - RegexTimeout: at least half of the budget stays for the script.
        if (options.RegexTimeout <= TimeSpan.Zero || options.RegexTimeout > options.Timeout / 2)
        {
            failures.Add("RegexTimeout must be within (0, Timeout / 2]");
        }

        if (options.MemoryLimitBytes < 64 * 1024)
        {
            failures.Add("MemoryLimitBytes must be at least 64 KiB");
        }

        if (options.MaxStatements < 1000 || options.MaxRecursion < 8 || options.MaxArrayLength < 1024)
        {
            failures.Add("MaxStatements must be at least 1,000, MaxRecursion at least 8 and MaxArrayLength at least 1,024");
        }

        if (options.MaxSourceLength < 1 || options.CompiledCacheSize < 1)
        {
            failures.Add("MaxSourceLength and CompiledCacheSize must be positive");
        }

        if (options.SuspendAfter < 1 || options.SuspendWindow <= TimeSpan.Zero)
        {
            failures.Add("SuspendAfter and SuspendWindow must be positive");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
