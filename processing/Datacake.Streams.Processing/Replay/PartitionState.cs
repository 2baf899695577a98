using Datacake.Streams.Processing.Dedup;

namespace Datacake.Streams.Processing.Replay;

/// <summary>
/// What <see cref="PartitionStateStore.Load"/> found for a partition.
/// </summary>
/// <param name="CoveredOffset">The highest log offset whose records the state includes; null when there was no (valid) state.</param>
/// <param name="Corrupt">A state file existed but could not be read; the state is empty.</param>
public sealed record PartitionState(int Partition, long? CoveredOffset, ReplayGuard Guard, DuplicateFilter Filter, bool Corrupt);
