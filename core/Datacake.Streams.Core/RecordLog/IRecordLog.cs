namespace Datacake.Streams.RecordLog;

/// <summary>
/// The durable, partitioned record log between the protocol adapters and the processors.
/// Kafka across machines; FasterLog on local disk as the single-machine default.
/// </summary>
/// <remarks>
/// A record's partition is chosen from its key (the device id for raw records), so all records
/// of one device stay in order on one partition. Appends complete only once the record is
/// durable: an adapter acknowledges its device after the returned task completes, never before.
/// </remarks>
public interface IRecordLog : IAsyncDisposable
{
    /// <summary>Number of partitions of <paramref name="topic"/> (creating the topic if the backend does that on first use).</summary>
    int PartitionCount(string topic);

    /// <summary>
    /// Appends one record and completes once it is durable (Kafka: acks=all; FasterLog: committed to disk).
    /// Throws <see cref="RecordLogUnavailableException"/> when the log cannot accept records right now;
    /// the caller answers its client with a retryable error and nothing was stored.
    /// </summary>
    ValueTask<LogPosition> AppendAsync(string topic, ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value, CancellationToken cancellationToken = default);

    /// <summary>
    /// Joins consumer group <paramref name="group"/> on <paramref name="topic"/>. Members of one group split the
    /// partitions between them; each starts a partition at the group's committed position, else at
    /// <paramref name="start"/>.
    /// </summary>
    IRecordLogConsumer Subscribe(string topic, string group, StartPosition start = StartPosition.Earliest);

    /// <summary>True when the backend answers (for /readyz).</summary>
    ValueTask<bool> IsReachableAsync(CancellationToken cancellationToken = default);
}

/// <summary>Where a consumer group starts a partition that has no committed position yet.</summary>
public enum StartPosition
{
    Earliest,
    Latest,
}

/// <summary>One member of a consumer group. Not thread-safe: one thread consumes and commits.</summary>
public interface IRecordLogConsumer : IDisposable
{
    /// <summary>The partitions this member owns right now; changes when members join or leave.</summary>
    IReadOnlyList<int> Assignment { get; }

    /// <summary>
    /// The next record of an assigned partition, or null when none arrived within <paramref name="timeout"/>.
    /// Records of one partition come in offset order.
    /// </summary>
    LogRecord? Consume(TimeSpan timeout);

    /// <summary>
    /// Marks every record of <c>position.Partition</c> up to and including <c>position.Offset</c> as done for the group;
    /// a restarted member resumes after it. Commits only move forward: a lower offset than the last commit is ignored.
    /// Returns false when the partition is no longer assigned to this member (a rebalance took it); the new owner
    /// then replays from the last successful commit.
    /// </summary>
    bool Commit(LogPosition position);
}

/// <summary>A record's place in the log.</summary>
public readonly record struct LogPosition(int Partition, long Offset);

/// <summary>A record read from the log.</summary>
public sealed record LogRecord(string Topic, LogPosition Position, ReadOnlyMemory<byte> Key, ReadOnlyMemory<byte> Value);

/// <summary>The log cannot take records right now (disk full, brokers unreachable, shutting down). Retry later.</summary>
public sealed class RecordLogUnavailableException : Exception
{
    public RecordLogUnavailableException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}
