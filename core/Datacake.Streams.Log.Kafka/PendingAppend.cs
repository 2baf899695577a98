using System.Collections.Concurrent;
using System.Threading.Tasks.Sources;
using Confluent.Kafka;
using Datacake.Streams.RecordLog;

namespace Datacake.Streams.Log.Kafka;

/// <summary>
/// One append waiting for its delivery report, awaited as a <see cref="ValueTask{TResult}"/> and reused afterwards.
/// </summary>
/// <remarks>
/// <c>ProduceAsync</c> allocates a TaskCompletionSource, its Task and an async state machine per record; at the
/// 100k+ records/s the mock cluster takes, that is measurable garbage. Instances here are pooled: the delivery
/// handler delegate is created once per instance, and the instance goes back to the pool when its result is read.
/// Continuations run asynchronously, as with ProduceAsync: librdkafka's single delivery-report thread must never
/// run the caller's code (an adapter's acknowledgement, another append) inline.
/// </remarks>
internal sealed class PendingAppend : IValueTaskSource<LogPosition>
{
    private const int Free = 0, Waiting = 1, Completed = 2;

    private readonly Pool _pool;
    private ManualResetValueTaskSourceCore<LogPosition> _core = new() { RunContinuationsAsynchronously = true };
    private string _topic = "";
    private int _state;

    private PendingAppend(Pool pool)
    {
        _pool = pool;
        OnDelivery = Complete;
    }

    /// <summary>The delivery handler to pass to <c>Produce</c>; the same delegate for every use of this instance.</summary>
    public Action<DeliveryReport<byte[], byte[]>> OnDelivery { get; }

    public ValueTask<LogPosition> Task => new(this, _core.Version);

    public LogPosition GetResult(short token)
    {
        try
        {
            return _core.GetResult(token);
        }
        finally
        {
            _core.Reset();
            _topic = "";
            Volatile.Write(ref _state, Free);
            _pool.Return(this);
        }
    }

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);

    /// <summary>Produce threw, so no delivery report will come: back to the pool without ever completing.</summary>
    public void Abandon()
    {
        _topic = "";
        Volatile.Write(ref _state, Free);
        _pool.Return(this);
    }

    private void Complete(DeliveryReport<byte[], byte[]> report)
    {
        if (Interlocked.CompareExchange(ref _state, Completed, Waiting) != Waiting)
        {
            return;
        }

        if (report.Error.IsError)
        {
            _core.SetException(KafkaAppendFailure.From(report.Error, _topic));
        }
        else
        {
            _core.SetResult(new LogPosition(report.Partition.Value, report.Offset.Value));
        }
    }

    private void Fail(Exception exception)
    {
        if (Interlocked.CompareExchange(ref _state, Completed, Waiting) == Waiting)
        {
            _core.SetException(exception);
        }
    }

    /// <summary>Pooled <see cref="PendingAppend"/> instances of one producer; it also knows every append still waiting.</summary>
    internal sealed class Pool
    {
        // Enough for the appends in flight at a few hundred thousand records/s with ~10-20 ms round trips;
        // beyond that, extra instances are left to the GC rather than held forever.
        private const int MaxRetained = 8_192;

        private readonly ConcurrentQueue<PendingAppend> _free = new();
        private readonly HashSet<PendingAppend> _all = [];
        private readonly Lock _allGate = new();
        private int _freeCount;

        public PendingAppend Rent(string topic)
        {
            if (_free.TryDequeue(out var pending))
            {
                Interlocked.Decrement(ref _freeCount);
            }
            else
            {
                pending = new PendingAppend(this);
                lock (_allGate)
                {
                    _all.Add(pending);
                }
            }

            pending._topic = topic;
            Volatile.Write(ref pending._state, Waiting);
            return pending;
        }

        /// <summary>
        /// Fails every append still waiting. The producer's disposal drops its undelivered records without
        /// delivery reports, and an append must never wait forever.
        /// </summary>
        public void FailWaiting(Exception exception)
        {
            PendingAppend[] all;
            lock (_allGate)
            {
                all = [.. _all];
            }

            foreach (var pending in all)
            {
                pending.Fail(exception);
            }
        }

        public void Return(PendingAppend pending)
        {
            if (Interlocked.Increment(ref _freeCount) <= MaxRetained)
            {
                _free.Enqueue(pending);
                return;
            }

            Interlocked.Decrement(ref _freeCount);
            lock (_allGate)
            {
                _all.Remove(pending);
            }
        }
    }
}
