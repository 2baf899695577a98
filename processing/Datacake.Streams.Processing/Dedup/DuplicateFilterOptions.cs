namespace Datacake.Streams.Processing.Dedup;

/// <summary>Memory bounds of the duplicate filter (configuration section "Processing:Dedup"). Numbers: docs/PROCESSING.md.</summary>
public sealed record DuplicateFilterOptions
{
    public const string Section = "Processing:Dedup";

    /// <summary>
    /// Keys kept per device. 256 covers a device sending once a minute for 4 hours, or a burst of 256 HTTP
    /// messages: retries (webhooks retry for minutes, MQTT redelivers on reconnect) land well inside it.
    /// </summary>
    public int WindowSize { get; init; } = 256;

    /// <summary>Keys older than this (receive time, relative to the device's newest) are dropped, whichever bound is hit first.</summary>
    public TimeSpan WindowAge { get; init; } = TimeSpan.FromHours(24);

    /// <summary>
    /// Keys kept per partition over all devices; past it whole devices are forgotten, least recently used first.
    /// 2,000,000 keys ≈ 32 MB of keys (16 B each) plus per-device overhead.
    /// </summary>
    public int MaxEntries { get; init; } = 2_000_000;
}
