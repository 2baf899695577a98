using Datacake.Streams.EdgeAuth;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Datacake.Streams.Ingest.Webhooks;

/// <summary>Webhook ingest settings, section <c>Ingest:Webhooks</c>.</summary>
public sealed record WebhookIngestOptions
{
    public const string Section = "Ingest:Webhooks";

    /// <summary>
    /// Largest body accepted. 256 KiB: a TTS uplink seen by 20 gateways with a decoded payload is ~15 KiB, a
    /// Particle event at most ~1.5 KiB; anything larger is not a network server's message.
    /// </summary>
    public int MaxBodyBytes { get; init; } = 256 * 1024;

    /// <summary>
    /// How far a Standard Webhooks <c>webhook-timestamp</c> may be from this node's clock (the spec's 5 minutes), on
    /// both sides. Processing's webhook-id memory must span 2 × this + 1 minute (<see cref="WebhookIdMemory"/>).
    /// </summary>
    public TimeSpan SignatureTolerance { get; init; } = WebhookIdMemory.DefaultTolerance;

    /// <summary>Retry-After sent with 503 when the record log cannot take the message.</summary>
    public TimeSpan UnavailableRetryAfter { get; init; } = TimeSpan.FromSeconds(5);
}

/// <param name="configuration">
/// The node's configuration, to read processing's webhook-id memory (<see cref="WebhookIdMemory.WindowKey"/>, its
/// default when absent): a tolerance the memory does not cover fails the start, also on an ingest-only node.
/// </param>
public sealed class WebhookIngestOptionsValidator(IConfiguration? configuration = null) : IValidateOptions<WebhookIngestOptions>
{
    public ValidateOptionsResult Validate(string? name, WebhookIngestOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (options.MaxBodyBytes is < 1024 or > 16 * 1024 * 1024)
        {
            failures.Add($"{WebhookIngestOptions.Section}:MaxBodyBytes must be 1 KiB to 16 MiB, was {options.MaxBodyBytes}");
        }

        if (options.SignatureTolerance <= TimeSpan.Zero || options.SignatureTolerance > TimeSpan.FromHours(1))
        {
            failures.Add($"{WebhookIngestOptions.Section}:SignatureTolerance must be above 0 and at most 1 hour");
        }

        var window = configuration?.GetValue<TimeSpan?>(WebhookIdMemory.WindowKey) ?? WebhookIdMemory.DefaultWindow;
        if (WebhookIdMemory.Uncovered(options.SignatureTolerance, window) is { } uncovered)
        {
            failures.Add(uncovered);
        }

        if (options.UnavailableRetryAfter < TimeSpan.FromSeconds(1))
        {
            failures.Add($"{WebhookIngestOptions.Section}:UnavailableRetryAfter must be at least 1 second");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
