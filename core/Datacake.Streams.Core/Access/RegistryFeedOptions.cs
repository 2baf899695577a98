namespace Datacake.Streams.Access;

/// <summary>How a node follows <c>dcs.registry</c>; checked by <see cref="RegistryFeedOptionsValidator"/>.</summary>
public sealed record RegistryFeedOptions
{
    /// <summary>Each feed joins its own group, prefix + a fresh GUID, so that every node reads every partition.</summary>
    public string ConsumerGroupPrefix { get; init; } = "dcs-registry-view-";

    /// <summary>
    /// A fixed group name instead of prefix + GUID, e.g. the node's name, so that an embedded log does not keep one
    /// group per process start. Must be unique among running feeds (two feeds in one group would split partitions);
    /// the feed never commits, so reusing a name still replays the registry from the beginning.
    /// </summary>
    public string? ConsumerGroup { get; init; }

    /// <summary>
    /// How long one poll waits for a record. A revocation must reach every node within 2 s; the poll only bounds
    /// how fast the loop notices a stop, records are applied as soon as they arrive.
    /// </summary>
    public TimeSpan PollTimeout { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Pause after the log failed to deliver before trying again.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// Barrier appends tried per partition to reach every partition at start (keys are hashed to partitions).
    /// With 4 partitions, 64 tries each leave a chance of about 4·(3/4)^256 of missing one: never in practice.
    /// </summary>
    public int BarrierAttemptsPerPartition { get; init; } = 64;
}
