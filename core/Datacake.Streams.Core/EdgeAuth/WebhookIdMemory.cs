namespace Datacake.Streams.EdgeAuth;

/// <summary>
/// How long a Standard Webhooks <c>webhook-id</c> must be remembered for a given timestamp tolerance: the one rule
/// that ties ingest's tolerance (<c>Ingest:Webhooks:SignatureTolerance</c>) to processing's replay memory
/// (<c>Processing:Replay:WebhookIdWindow</c>), checked by both roles' option validators at start-up.
/// </summary>
/// <remarks>
/// A signed request dated up to one tolerance ahead of the receiving node's clock is accepted at once and stays
/// inside the tolerance until one tolerance after its date: a replay can arrive up to two tolerances after the first
/// delivery, so the memory (counted in receive time) must span 2 × tolerance. The margin covers the clock distance
/// between the ingest nodes whose receive times meet in one partition; NTP keeps it well under a second, and one
/// minute leaves room for a node whose time daemon has just restarted.
/// </remarks>
public static class WebhookIdMemory
{
    public const string ToleranceKey = "Ingest:Webhooks:SignatureTolerance";
    public const string WindowKey = "Processing:Replay:WebhookIdWindow";

    /// <summary>The Standard Webhooks specification's tolerance.</summary>
    public static readonly TimeSpan DefaultTolerance = TimeSpan.FromMinutes(5);

    public static readonly TimeSpan ClockMargin = TimeSpan.FromMinutes(1);

    /// <summary>11 minutes: what <see cref="DefaultTolerance"/> needs.</summary>
    public static readonly TimeSpan DefaultWindow = WindowFor(DefaultTolerance);

    public static TimeSpan WindowFor(TimeSpan tolerance) => (2 * tolerance) + ClockMargin;

    /// <summary>Null when a memory of <paramref name="window"/> covers <paramref name="tolerance"/>, else why not (for a start-up failure).</summary>
    public static string? Uncovered(TimeSpan tolerance, TimeSpan window) =>
        window >= WindowFor(tolerance)
            ? null
            : $"{WindowKey} ({window}) must be at least 2 × {ToleranceKey} + {ClockMargin} = {WindowFor(tolerance)}: a signed request dated ahead "
              + "stays inside the tolerance that long, and a webhook-id forgotten earlier could be replayed; raise the window or lower the tolerance";
}
