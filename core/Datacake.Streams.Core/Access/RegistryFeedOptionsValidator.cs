using Microsoft.Extensions.Options;

namespace Datacake.Streams.Access;

/// <summary>Rejects feed settings that would split the registry between feeds or miss the 2 s propagation promise.</summary>
public sealed class RegistryFeedOptionsValidator : IValidateOptions<RegistryFeedOptions>
{
    public ValidateOptionsResult Validate(string? name, RegistryFeedOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.ConsumerGroupPrefix))
        {
            failures.Add("ConsumerGroupPrefix must not be empty.");
        }

        if (options.ConsumerGroup is not null && string.IsNullOrWhiteSpace(options.ConsumerGroup))
        {
            failures.Add("ConsumerGroup must be null or a name.");
        }

        // A poll bounds how fast the loop notices a stop; above 1 s a stop or a retry could eat the 2 s budget.
        if (options.PollTimeout <= TimeSpan.Zero || options.PollTimeout > TimeSpan.FromSeconds(1))
        {
            failures.Add($"PollTimeout must be between 0 and 1 s (changes must reach nodes within 2 s), was {options.PollTimeout}.");
        }

        if (options.RetryDelay <= TimeSpan.Zero)
        {
            failures.Add($"RetryDelay must be positive, was {options.RetryDelay}.");
        }

        if (options.BarrierAttemptsPerPartition < 1)
        {
            failures.Add($"BarrierAttemptsPerPartition must be at least 1, was {options.BarrierAttemptsPerPartition}.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
