using Datacake.Streams.RecordLog;

namespace Datacake.Streams.UnitTests.Core.Access;

/// <summary>
/// A minimal in-process <see cref="IRecordLog"/> for the feed loop's logic only (ordering, barriers, waiting).
/// Every consumer gets every partition; no durability. Integration tests use a real backend.
/// </summary>
internal sealed class InMemoryRecordLog : IRecordLog
{
    private readonly object _lock = new();
    private readonly int _partitions;
    private readonly Dictionary<string, List<LogRecord>[]> _topics = new(StringComparer.Ordinal);
    private int _failuresToThrow;
    private UnreadableValue? _nextValue;
    private Func<Exception> _failure = () => new RecordLogUnavailableException("the in-memory log was told to fail");

    public InMemoryRecordLog(int partitions) => _partitions = partitions;

    /// <summary>The next this many Consume calls throw, as a log that lost its connection would.</summary>
    public void FailNextConsumes(int count) => Interlocked.Exchange(ref _failuresToThrow, count);

    /// <summary>The next this many Consume calls throw what <paramref name="failure"/> makes.</summary>
    public void FailNextConsumes(int count, Func<Exception> failure)
    {
        _failure = failure;
        Interlocked.Exchange(ref _failuresToThrow, count);
    }

    /// <summary>
    /// The next appended record's value throws on every read while <see cref="UnreadableValue.Broken"/> holds: a
    /// record that a consumer has taken but cannot process yet (the failure is in the reader, after the consume).
    /// </summary>
    public UnreadableValue MakeNextValueUnreadable()
    {
        var unreadable = new UnreadableValue();
        _nextValue = unreadable;
        return unreadable;
    }

    public int PartitionCount(string topic) => _partitions;

    public ValueTask<LogPosition> AppendAsync(string topic, ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            var partitions = Partitions(topic);
            var partition = (int)(Fnv(key.Span) % (uint)_partitions);
            var position = new LogPosition(partition, partitions[partition].Count);
            var bytes = value.ToArray();
            var stored = Interlocked.Exchange(ref _nextValue, null) is { } unreadable ? unreadable.Wrap(bytes) : bytes;

            partitions[partition].Add(new LogRecord(topic, position, key.ToArray(), stored));
            Monitor.PulseAll(_lock);
            return ValueTask.FromResult(position);
        }
    }

    public IRecordLogConsumer Subscribe(string topic, string group, StartPosition start = StartPosition.Earliest)
    {
        lock (_lock)
        {
            var partitions = Partitions(topic);
            var next = partitions.Select(p => start == StartPosition.Earliest ? 0L : p.Count).ToArray();
            return new Consumer(this, partitions, next);
        }
    }

    public ValueTask<bool> IsReachableAsync(CancellationToken cancellationToken = default) => ValueTask.FromResult(true);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private List<LogRecord>[] Partitions(string topic)
    {
        if (!_topics.TryGetValue(topic, out var partitions))
        {
            partitions = [.. Enumerable.Range(0, _partitions).Select(_ => new List<LogRecord>())];
            _topics[topic] = partitions;
        }

        return partitions;
    }

    private static uint Fnv(ReadOnlySpan<byte> key)
    {
        var hash = 2166136261u;
        foreach (var b in key)
        {
            hash = (hash ^ b) * 16777619u;
        }

        return hash;
    }

    private sealed class Consumer(InMemoryRecordLog log, List<LogRecord>[] partitions, long[] next) : IRecordLogConsumer
    {
        private int _turn;

        public IReadOnlyList<int> Assignment => [.. Enumerable.Range(0, partitions.Length)];

        public LogRecord? Consume(TimeSpan timeout)
        {
            if (Interlocked.Decrement(ref log._failuresToThrow) >= 0)
            {
                throw log._failure();
            }

            var deadline = DateTime.UtcNow + timeout;
            lock (log._lock)
            {
                while (true)
                {
                    for (var i = 0; i < partitions.Length; i++)
                    {
                        var partition = (_turn + i) % partitions.Length;
                        if (next[partition] < partitions[partition].Count)
                        {
                            _turn = partition + 1;
                            return partitions[partition][(int)next[partition]++];
                        }
                    }

                    var remaining = deadline - DateTime.UtcNow;
                    if (remaining <= TimeSpan.Zero)
                    {
                        return null;
                    }

                    Monitor.Wait(log._lock, remaining);
                }
            }
        }

        public bool Commit(LogPosition position) => true;

        public void Dispose()
        {
        }
    }

    /// <summary>A value whose bytes cannot be read while <see cref="Broken"/> is set.</summary>
    public sealed class UnreadableValue : System.Buffers.MemoryManager<byte>
    {
        private byte[] _bytes = [];
        private volatile bool _broken = true;

        public bool Broken
        {
            get => _broken;
            set => _broken = value;
        }

        private int _refusals;

        /// <summary>Reads refused so far.</summary>
        public int Refusals => Volatile.Read(ref _refusals);

        internal ReadOnlyMemory<byte> Wrap(byte[] bytes)
        {
            _bytes = bytes;
            return CreateMemory(bytes.Length);
        }

        public override Span<byte> GetSpan()
        {
            if (_broken)
            {
                Interlocked.Increment(ref _refusals);
                throw new InvalidOperationException("this record's value cannot be read yet");
            }

            return _bytes;
        }

        public override System.Buffers.MemoryHandle Pin(int elementIndex = 0) => throw new NotSupportedException();

        public override void Unpin()
        {
        }

        protected override void Dispose(bool disposing)
        {
        }
    }
}
