using Datacake.Streams.RecordLog;

namespace Datacake.Streams.Processing.Pipeline;

/// <summary>A position to commit, with the partition's assignment epoch of the records it covers.</summary>
public readonly record struct CommitPoint(LogPosition Position, long Epoch);
