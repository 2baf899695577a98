using Microsoft.Extensions.Options;

namespace Datacake.Streams.Processing.Dedup;

public sealed class DuplicateFilterOptionsValidator : IValidateOptions<DuplicateFilterOptions>
{
    public ValidateOptionsResult Validate(string? name, DuplicateFilterOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (options.WindowSize is < 1 or > ushort.MaxValue)
        {
            failures.Add("WindowSize must be 1..65535");
        }

        if (options.WindowAge <= TimeSpan.Zero)
        {
            failures.Add("WindowAge must be positive");
        }

        if (options.MaxEntries < options.WindowSize)
        {
            failures.Add("MaxEntries must be at least WindowSize");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
