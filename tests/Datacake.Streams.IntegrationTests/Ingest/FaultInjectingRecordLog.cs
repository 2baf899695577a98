using Datacake.Streams.RecordLog;

namespace Datacake.Streams.IntegrationTests.Ingest;

/// <summary>
/// The real FasterLog with two faults a test can switch on: the log refusing appends (as a full disk or lost brokers
/// would), and the process "dying" right after an append became durable (the append never returns).
/// </summary>
internal sealed class FaultInjectingRecordLog(IRecordLog inner) : IRecordLog
{
    private readonly CancellationTokenSource _released = new();
    private int _refusedAppends;

    public bool Unavailable { get; set; }

    /// <summary>When set, a durable append signals <see cref="Appended"/> and then never returns.</summary>
    public bool HangAfterAppend { get; set; }

    public TaskCompletionSource Appended { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public IRecordLog Inner => inner;

    public int RefusedAppends => Volatile.Read(ref _refusedAppends);

    public int PartitionCount(string topic) => inner.PartitionCount(topic);

    public async ValueTask<LogPosition> AppendAsync(string topic, ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value, CancellationToken cancellationToken = default)
    {
        if (Unavailable)
        {
            Interlocked.Increment(ref _refusedAppends);
            throw new RecordLogUnavailableException("injected: log unavailable");
        }

        var position = await inner.AppendAsync(topic, key, value, cancellationToken);
        if (HangAfterAppend)
        {
            Appended.TrySetResult();
            await Task.Delay(Timeout.Infinite, _released.Token);
        }

        return position;
    }

    public IRecordLogConsumer Subscribe(string topic, string group, StartPosition start = StartPosition.Earliest) => inner.Subscribe(topic, group, start);

    public ValueTask<bool> IsReachableAsync(CancellationToken cancellationToken = default) => inner.IsReachableAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        // A hung append ends with the "process": as a cancellation, after the record was already durable.
        await _released.CancelAsync();
        await inner.DisposeAsync();
        _released.Dispose();
    }
}
