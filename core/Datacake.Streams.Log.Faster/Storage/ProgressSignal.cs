namespace Datacake.Streams.RecordLog.Faster.Storage;

/// <summary>
/// Wakes blocked consumers when anything they might read changed: a commit made records visible, or a group
/// reassigned partitions. One signal per data directory; a consumer re-checks its partitions after a wake.
/// </summary>
internal sealed class ProgressSignal
{
    private readonly object _gate = new();
    private long _version;
    private int _waiters;

    public long Version => Interlocked.Read(ref _version);

    public void Pulse()
    {
        // Increment before reading the waiter count, and waiters register before reading the version:
        // both are full fences, so either the waiter sees the new version or the pulser sees the waiter.
        Interlocked.Increment(ref _version);
        if (Volatile.Read(ref _waiters) == 0)
        {
            return;
        }

        lock (_gate)
        {
            Monitor.PulseAll(_gate);
        }
    }

    /// <summary>Blocks until the version moves past <paramref name="seen"/> or the timeout passes.</summary>
    public void WaitPast(long seen, TimeSpan timeout)
    {
        if (timeout <= TimeSpan.Zero)
        {
            return;
        }

        lock (_gate)
        {
            Interlocked.Increment(ref _waiters);
            try
            {
                if (Interlocked.Read(ref _version) == seen)
                {
                    Monitor.Wait(_gate, timeout);
                }
            }
            finally
            {
                Interlocked.Decrement(ref _waiters);
            }
        }
    }
}
