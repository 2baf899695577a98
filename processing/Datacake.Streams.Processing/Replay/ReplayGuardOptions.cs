using Datacake.Streams.EdgeAuth;
using Datacake.Streams.Records;

namespace Datacake.Streams.Processing.Replay;

/// <summary>Bounds of the replay guard (configuration section "Processing:Replay").</summary>
public sealed record ReplayGuardOptions
{
    public const string Section = "Processing:Replay";

    /// <summary>Points older than this are refused as <c>too_old</c>: the raw tier would delete them at once (DATA-MODEL.md: 30 days).</summary>
    public TimeSpan RawRetention { get; init; } = TimeSpan.FromDays(30);

    /// <summary>Points further than this ahead of now are refused as <c>too_far_in_future</c>.</summary>
    public TimeSpan MaxFutureSkew { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// How long a webhook-id is remembered, counted in receive time: 2 × ingest's Standard Webhooks tolerance + 1 minute
    /// (<see cref="WebhookIdMemory"/>; 11 minutes for the default ±5), because a request dated ahead stays inside the
    /// tolerance for two tolerances after its first delivery. A shorter value fails the start.
    /// </summary>
    public TimeSpan WebhookIdWindow { get; init; } = WebhookIdMemory.DefaultWindow;

    /// <summary>Sources whose frame counter arrives as 16 bits (FCnt on air) and is extended to 32 here; TTS, ChirpStack v4 and Helium give 32 bits.</summary>
    public IReadOnlySet<SourceKind> SixteenBitCounterSources { get; init; } = new HashSet<SourceKind>();

    /// <summary>
    /// A 16-bit counter is read as the nearest step forward (below the last one: a rollover); a step of more than this
    /// many frames is a replay of an older frame (LoRaWAN 1.0's MAX_FCNT_GAP, 16,384).
    /// </summary>
    public uint MaxFrameCounterGap { get; init; } = 16_384;

    /// <summary>
    /// Devices remembered per partition; past it the device quiet longest is forgotten. A device state is ~100 bytes
    /// (node + dictionary entry), so 1,000,000 devices ≈ 100 MB at most.
    /// </summary>
    public int MaxDevices { get; init; } = 1_000_000;

    /// <summary>Webhook-ids remembered per partition: 11 minutes at 1,500 webhooks/s, ~40 bytes each (≈ 40 MB at most).</summary>
    public int MaxWebhookIds { get; init; } = 1_000_000;
}
