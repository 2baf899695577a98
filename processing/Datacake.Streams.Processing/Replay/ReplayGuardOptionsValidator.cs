using Datacake.Streams.EdgeAuth;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Datacake.Streams.Processing.Replay;

/// <param name="configuration">
/// The node's configuration, to read ingest's Standard Webhooks tolerance (<see cref="WebhookIdMemory.ToleranceKey"/>,
/// its default when absent): a memory shorter than the tolerance needs fails the start, also on a processing-only node.
/// </param>
public sealed class ReplayGuardOptionsValidator(IConfiguration? configuration = null) : IValidateOptions<ReplayGuardOptions>
{
    public ValidateOptionsResult Validate(string? name, ReplayGuardOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (options.RawRetention <= TimeSpan.Zero)
        {
            failures.Add("RawRetention must be positive");
        }

        if (options.MaxFutureSkew < TimeSpan.Zero)
        {
            failures.Add("MaxFutureSkew must not be negative");
        }

        var tolerance = configuration?.GetValue<TimeSpan?>(WebhookIdMemory.ToleranceKey) ?? WebhookIdMemory.DefaultTolerance;
        if (WebhookIdMemory.Uncovered(tolerance, options.WebhookIdWindow) is { } uncovered)
        {
            failures.Add(uncovered);
        }

        if (options.MaxFrameCounterGap is 0 or > 0xFFFF)
        {
            failures.Add("MaxFrameCounterGap must be 1..65535");
        }

        if (options.MaxDevices < 1 || options.MaxWebhookIds < 1)
        {
            failures.Add("MaxDevices and MaxWebhookIds must be at least 1");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
