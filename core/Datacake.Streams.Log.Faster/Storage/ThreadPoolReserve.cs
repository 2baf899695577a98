namespace Datacake.Streams.RecordLog.Faster.Storage;

/// <summary>
/// Keeps enough thread-pool threads ready for FasterLog's commits. FasterLog finishes a commit on a pool thread
/// that blocks while it writes the commit file (a write-through write, ~0.5-5 ms here), once per partition. With the
/// default minimum of one thread per core (2 here) four committing partitions starved the pool: measured 4k
/// acknowledged appends/s with 256 appenders, against 30k/s with 64 threads ready on the same loaded machine.
/// </summary>
internal static class ThreadPoolReserve
{
    private const int ThreadsPerPartition = 2;
    private static readonly Lock _gate = new();
    private static int _partitions;

    /// <summary>Raises the pool's minimum for one more open partition (never lowers it: other code may rely on it).</summary>
    public static void AddPartition()
    {
        lock (_gate)
        {
            _partitions++;
            ThreadPool.GetMinThreads(out var workers, out var completionPorts);
            var wanted = Environment.ProcessorCount + (ThreadsPerPartition * _partitions);
            if (workers < wanted)
            {
                ThreadPool.SetMinThreads(wanted, completionPorts);
            }
        }
    }
}
