using Microsoft.Extensions.Options;

namespace Datacake.Streams.Processing.Replay;

public sealed class ReplayGuardOptionsValidator : IValidateOptions<ReplayGuardOptions>
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

        if (options.WebhookIdWindow <= TimeSpan.Zero)
        {
            failures.Add("WebhookIdWindow must be positive");
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
