using Datacake.Streams.Processing.Dedup;

namespace Datacake.Streams.Processing.Replay;

/// <summary>
/// What <see cref="PartitionStateStore.Load"/> found for a partition.
/// </summary>
/// <param name="CoveredOffset">The highest log offset whose records the state includes; null when there was no (valid) state.</param>
/// <param name="Corrupt">A state file existed but could not be read; the state is empty.</param>
public sealed record PartitionState(int Partition, long? CoveredOffset, ReplayGuard Guard, DuplicateFilter Filter, bool Corrupt)
{
    /// <summary>The journal was read after the snapshot (its base matched); appends continue it.</summary>
    internal bool JournalMatches { get; init; }

    /// <summary>Where the journal's whole entries end: the next append goes there.</summary>
    internal long JournalLength { get; init; }

    /// <summary>Bytes of the snapshot file (0 without one): the journal is compacted once it outgrows it.</summary>
    internal long SnapshotLength { get; init; }
}
