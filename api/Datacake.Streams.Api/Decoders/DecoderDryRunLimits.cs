using Microsoft.Extensions.Options;

namespace Datacake.Streams.Api.Decoders;

/// <summary>
/// How often and how many at once one caller may run <c>POST /v1/decoders/{id}/test</c> (section "Decoders:DryRun").
/// A dry run costs up to the decoder budget of CPU (<c>Processing:JavaScript:Timeout</c>, 100 ms) on the threads that
/// also decode every workspace's records; these limits make that cost one caller's, never the node's.
/// </summary>
public sealed record DecoderDryRunLimits
{
    public const string Section = "Decoders:DryRun";

    /// <summary>
    /// Dry runs per <see cref="Window"/> and caller, also the burst. 30 a minute is one every 2 s, ahead of anyone
    /// editing a decoder by hand, and at most 30 × 100 ms = 3 s of CPU a minute (5% of one core) per caller.
    /// </summary>
    public int PermitLimit { get; init; } = 30;

    /// <summary>The window of <see cref="PermitLimit"/>; one permit comes back every Window / PermitLimit.</summary>
    public TimeSpan Window { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Dry runs of one caller running at once. One: a person waits for the answer before the next, and a script
    /// firing in parallel holds at most one decoder thread.
    /// </summary>
    public int MaxConcurrent { get; init; } = 1;

    /// <summary>Time for one permit to come back.</summary>
    internal TimeSpan ReplenishmentPeriod => Window / PermitLimit;
}

public sealed class DecoderDryRunLimitsValidator : IValidateOptions<DecoderDryRunLimits>
{
    /// <summary>The partitioned limiter refills every 100 ms; a shorter period would be silently slower than configured.</summary>
    private static readonly TimeSpan s_shortestPeriod = TimeSpan.FromMilliseconds(100);

    public ValidateOptionsResult Validate(string? name, DecoderDryRunLimits options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (options.PermitLimit is < 1 or > 10_000)
        {
            failures.Add("Decoders:DryRun:PermitLimit must be 1-10000");
        }

        if (options.Window <= TimeSpan.Zero || options.Window > TimeSpan.FromDays(1))
        {
            failures.Add("Decoders:DryRun:Window must be within (0, 1 day]");
        }
        else if (options.PermitLimit >= 1 && options.ReplenishmentPeriod < s_shortestPeriod)
        {
            failures.Add("Decoders:DryRun:Window / PermitLimit must be at least 100 ms");
        }

        if (options.MaxConcurrent is < 1 or > 64)
        {
            failures.Add("Decoders:DryRun:MaxConcurrent must be 1-64");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
