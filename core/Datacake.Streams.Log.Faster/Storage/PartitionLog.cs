using Datacake.Streams.Files;
using System.Runtime.CompilerServices;
using FASTER.core;

namespace Datacake.Streams.RecordLog.Faster.Storage;

/// <summary>
/// One partition of a topic: a FasterLog in its own directory, and a committer that makes appends durable in
/// groups. An append enqueues into the log's memory and awaits the <see cref="CommitBatch"/> that the next
/// commit completes.
/// </summary>
internal sealed partial class PartitionLog : IAsyncDisposable
{
    private readonly FasterLog _log;
    private readonly IDevice _device;
    private readonly TimeProvider _time;
    private readonly TimeSpan _commitInterval;
    private readonly ProgressSignal _progress;
    private readonly string _name;
    private readonly SemaphoreSlim _wake = new(0);
    private readonly Task _committer;

    private CommitBatch _open = new();
    private int _parked;
    private int _activeAppends;
    private volatile bool _closing;
    private volatile RecordLogUnavailableException? _failure;

    private PartitionLog(string name, FasterLog log, IDevice device, ILogSettings options, TimeProvider time, ProgressSignal progress)
    {
        _name = name;
        _log = log;
        _device = device;
        _time = time;
        _commitInterval = options.CommitInterval;
        _progress = progress;
        _committer = Task.Run(RunCommitterAsync);
    }

    public int Partition { get; private init; }

    /// <summary>End of the durable part: a reader sees records below it.</summary>
    public long CommittedUntil => _log.CommittedUntilAddress;

    /// <summary>Address the next append gets; where a consumer starting at "latest" begins.</summary>
    public long Tail => _log.TailAddress;

    public long Begin => _log.BeginAddress;

    /// <summary>
    /// Drops the records before the start of the page holding <paramref name="address"/> (FasterLog deletes the
    /// segment files wholly below it) and commits at once, so that a recovery starts from the new begin and not from
    /// an address whose file is gone.
    /// </summary>
    public async ValueTask TruncateBeforeAsync(long address)
    {
        if (address <= _log.BeginAddress || !IsOpen)
        {
            return;
        }

        _log.TruncateUntilPageStart(address);
        await _log.CommitAsync().ConfigureAwait(false);
    }

    public bool IsOpen => !_closing && _failure is null;

    /// <summary>Opens (recovering what was committed before) the log in <paramref name="directory"/>.</summary>
    public static PartitionLog Open(string directory, string topic, int partition, ILogSettings options, TimeProvider time, ProgressSignal progress)
    {
        // FASTER creates the segment and commit files itself with the process umask (077 in the host, see
        // PrivateFile.RestrictNewFilesToOwner); the folder is 0700 first so nothing inside is reachable by others either way.
        PrivateFile.CreateDirectory(directory);
        var device = Devices.CreateLogDevice(Path.Combine(directory, "log"), preallocateFile: false, deleteOnClose: false, recoverDevice: true);
        try
        {
            var settings = new FasterLogSettings
            {
                LogDevice = device,
                LogCommitDir = Path.Combine(directory, "commits"),
                PageSize = options.PageSizeBytes,
                MemorySize = options.MemorySizeBytes,
                SegmentSize = options.SegmentSizeBytes,
                AutoRefreshSafeTailAddress = false,
                AutoCommit = false,

                // The constructor's own recovery swallows errors and would start an empty log over the old one;
                // Recover() below throws instead, so a damaged directory fails loudly.
                TryRecoverLatest = false,
            };
            var log = new FasterLog(settings);
            try
            {
                log.Recover();
            }
            catch
            {
                log.Dispose();
                throw;
            }

            ThreadPoolReserve.AddPartition();
            return new PartitionLog($"{topic}/{partition}", log, device, options, time, progress) { Partition = partition };
        }
        catch
        {
            device.Dispose();
            throw;
        }
    }

    /// <summary>Appends the record; completes with its position once a commit made it durable.</summary>
    public ValueTask<LogPosition> AppendAsync(ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value)
    {
        var entry = new RecordEntry(key, value);
        if (!TryEnqueue(entry, out var address, out var batch))
        {
            return AppendWhenMemoryFreesAsync(entry);
        }

        var durable = batch.Durable;
        var position = new LogPosition(Partition, address);
        return durable.IsCompletedSuccessfully ? new ValueTask<LogPosition>(position) : AwaitDurableAsync(durable, position);
    }

    /// <summary>
    /// Enqueues into the log's memory and joins the open batch, or returns false when the memory is full of
    /// records not yet flushed. Never blocks: appenders run on the thread pool, which the committer needs too.
    /// </summary>
    private bool TryEnqueue(RecordEntry entry, out long address, out CommitBatch batch)
    {
        Interlocked.Increment(ref _activeAppends);
        try
        {
            if (_closing || _failure is not null)
            {
                throw Unavailable();
            }

            if (!_log.TryEnqueue(entry, out address))
            {
                // Only a commit flushes pages so that their memory can be reused: make sure one comes.
                batch = Volatile.Read(ref _open);
                batch.Take();
                return false;
            }

            // Read after the enqueue: a batch read before the committer swaps it is covered by that commit.
            batch = Volatile.Read(ref _open);
            batch.Take();
            return true;
        }
        catch (Exception e) when (e is not RecordLogUnavailableException)
        {
            throw new RecordLogUnavailableException($"partition {_name} refused the record: {e.Message}", e);
        }
        finally
        {
            Interlocked.Decrement(ref _activeAppends);
            WakeCommitter();
        }
    }

    // Pooled: at a million appends per second an unpooled box per awaiting append would be ~100 MB/s of garbage.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private static async ValueTask<LogPosition> AwaitDurableAsync(Task durable, LogPosition position)
    {
        await durable.ConfigureAwait(false);
        return position;
    }

    private async ValueTask<LogPosition> AppendWhenMemoryFreesAsync(RecordEntry entry)
    {
        while (true)
        {
            var enqueued = TryEnqueue(entry, out var address, out var batch);
            await batch.Durable.ConfigureAwait(false);
            if (enqueued)
            {
                return new LogPosition(Partition, address);
            }
        }
    }

    /// <summary>Reads records from <paramref name="begin"/> on, only as far as they are durable.</summary>
    public FasterLogScanIterator Scan(long begin) =>
        _log.Scan(Math.Max(begin, _log.BeginAddress), long.MaxValue, name: null, recover: false, scanUncommitted: false);

    private RecordLogUnavailableException Unavailable() =>
        _failure ?? new RecordLogUnavailableException($"partition {_name} is closed");

    private void WakeCommitter()
    {
        if (Volatile.Read(ref _parked) == 1 && Interlocked.CompareExchange(ref _parked, 0, 1) == 1)
        {
            _wake.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_closing)
        {
            return;
        }

        _closing = true;
        Interlocked.MemoryBarrier();

        // Appends already inside TryEnqueue finish before the last commit, so none is left in memory unacknowledged.
        var spin = new SpinWait();
        while (Volatile.Read(ref _activeAppends) != 0)
        {
            spin.SpinOnce();
        }

        if (Interlocked.Exchange(ref _parked, 0) == 1)
        {
            _wake.Release();
        }

        await _committer.ConfigureAwait(false);
        _log.Dispose();
        _device.Dispose();
        _wake.Dispose();
    }
}
