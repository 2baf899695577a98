using System.Collections.Concurrent;
using Datacake.Streams.RecordLog;

namespace Datacake.Streams.Processing.Pipeline;

/// <summary>
/// What this member has committed, per partition, for tests and <c>/readyz</c>: a processor has caught up with an
/// append once the committed offset of its partition reaches the append's offset.
/// </summary>
public sealed class ProcessingProgress
{
    private readonly ConcurrentDictionary<int, long> _committed = new();
    private long _recordsRead;
    private long _recordsCommitted;
    private volatile IReadOnlyList<int> _assignment = [];

    /// <summary>The last committed offset of every partition this member committed on since it started.</summary>
    public IReadOnlyDictionary<int, long> Committed => _committed;

    /// <summary>Records this member finished (written, dead-lettered or dropped as duplicates) and handed to the commit.</summary>
    public long RecordsCommitted => Interlocked.Read(ref _recordsCommitted);

    /// <summary>Records this member read from the log since it started.</summary>
    public long RecordsRead => Interlocked.Read(ref _recordsRead);

    /// <summary>
    /// Records read but not yet finished: what the pipeline holds in memory (read-ahead channel, stream buffers,
    /// open and in-flight batches). Bounded by design while InfluxDB is down; /readyz shows it.
    /// </summary>
    public long InFlight => Math.Max(0, RecordsRead - RecordsCommitted);

    /// <summary>The partitions the member's consumer owned when last looked at.</summary>
    public IReadOnlyList<int> Assignment => _assignment;

    /// <summary>True when the stream is running (false before start, after a stop or a failure).</summary>
    public bool IsRunning { get; internal set; }

    /// <summary>Set when the stream stopped on an error.</summary>
    public Exception? Failure { get; internal set; }

    /// <summary>True when every position in <paramref name="positions"/> is committed by this member.</summary>
    public bool HasCommitted(IEnumerable<LogPosition> positions)
    {
        ArgumentNullException.ThrowIfNull(positions);
        return positions.All(p => _committed.TryGetValue(p.Partition, out var offset) && offset >= p.Offset);
    }

    internal void OnCommitted(LogPosition position) =>
        _committed.AddOrUpdate(position.Partition, position.Offset, (_, old) => Math.Max(old, position.Offset));

    internal void OnRecordsRead(int records) => Interlocked.Add(ref _recordsRead, records);

    internal void OnRecordsDone(int records) => Interlocked.Add(ref _recordsCommitted, records);

    internal void OnAssignment(IReadOnlyList<int> assignment) => _assignment = assignment;
}
