using System.Buffers;
using System.Diagnostics;

namespace Datacake.Streams.RecordLog.Faster.Storage;

/// <summary>
/// One member of a consumer group: reads its assigned partitions round-robin, one record at a time, each
/// partition in offset order. Picks up a new assignment at the next <see cref="Consume"/>.
/// </summary>
internal sealed class GroupMember : IRecordLogCopyingConsumer
{
    private readonly TopicLog _topic;
    private readonly ConsumerGroup _group;
    private readonly StartPosition _start;
    private readonly ProgressSignal _progress;
    private PartitionReader[] _order = [];
    private long _seenGeneration = -1;
    private int _cursor;
    private bool _disposed;

    public GroupMember(TopicLog topic, ConsumerGroup group, StartPosition start, ProgressSignal progress)
    {
        _topic = topic;
        _group = group;
        _start = start;
        _progress = progress;
        _group.Join(this);
    }

    public IReadOnlyList<int> Assignment => _disposed ? [] : _group.AssignmentOf(this, out _);

    public LogRecord? Consume(TimeSpan timeout)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        long started = 0;
        while (true)
        {
            var seen = _progress.Version;
            if (!_topic.IsOpen)
            {
                throw new RecordLogUnavailableException($"topic {_topic.Name} is closed");
            }

            Reconcile();
            for (var i = 0; i < _order.Length; i++)
            {
                var index = (_cursor + i) % _order.Length;
                if (_order[index].TryRead() is { } record)
                {
                    _cursor = index + 1;
                    return record;
                }
            }

            // The clock only once there is nothing to read: a reader that keeps up never waits.
            started = started == 0 ? Stopwatch.GetTimestamp() : started;
            var remaining = timeout - Stopwatch.GetElapsedTime(started);
            if (remaining <= TimeSpan.Zero)
            {
                return null;
            }

            _progress.WaitPast(seen, remaining);
        }
    }

    public bool TryConsumeInto(TimeSpan timeout, IBufferWriter<byte> destination, out LogPosition position, out int keyLength, out int valueLength)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(destination);
        long started = 0;
        while (true)
        {
            var seen = _progress.Version;
            if (!_topic.IsOpen)
            {
                throw new RecordLogUnavailableException($"topic {_topic.Name} is closed");
            }

            Reconcile();
            for (var i = 0; i < _order.Length; i++)
            {
                var index = (_cursor + i) % _order.Length;
                if (_order[index].TryReadInto(destination, out position, out keyLength, out valueLength))
                {
                    _cursor = index + 1;
                    return true;
                }
            }

            // The clock only once there is nothing to read (1.2% of the pipeline's samples when read per record).
            started = started == 0 ? Stopwatch.GetTimestamp() : started;
            var remaining = timeout - Stopwatch.GetElapsedTime(started);
            if (remaining <= TimeSpan.Zero)
            {
                position = default;
                keyLength = 0;
                valueLength = 0;
                return false;
            }

            _progress.WaitPast(seen, remaining);
        }
    }

    public bool Commit(LogPosition position)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _group.TryCommit(this, position);
    }

    /// <summary>
    /// After any reassignment, reopens every reader at the group's committed position (an eager rebalance, as
    /// Kafka's default): a partition lost and regained between two calls must not continue from a stale cursor.
    /// </summary>
    private void Reconcile()
    {
        if (_group.Generation == _seenGeneration)
        {
            return;
        }

        var assigned = _group.AssignmentOf(this, out var generation);
        CloseReaders();
        _order = new PartitionReader[assigned.Length];
        for (var i = 0; i < assigned.Length; i++)
        {
            var partition = assigned[i];
            var begin = _group.StartOf(partition, _start, out var skipThrough);
            _order[i] = new PartitionReader(_topic.Name, _topic.Partitions[partition], begin, skipThrough);
        }

        _cursor = 0;
        _seenGeneration = generation;
    }

    private void CloseReaders()
    {
        foreach (var reader in _order)
        {
            reader.Dispose();
        }

        _order = [];
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _group.Leave(this);
        CloseReaders();
    }
}
