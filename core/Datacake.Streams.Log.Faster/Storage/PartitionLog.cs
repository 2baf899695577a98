using System.Runtime.CompilerServices;
using FASTER.core;

namespace Datacake.Streams.RecordLog.Faster.Storage;

/// <summary>
/// One partition of a topic: a FasterLog in its own directory, and a committer that makes appends durable in
/// groups. An append enqueues into the log's memory and awaits the <see cref="CommitBatch"/> that the next
/// commit completes. A failed commit (disk full) fails its appends, refuses new ones for
/// <see cref="ILogSettings.ReopenDelay"/>, then reopens the files at the last whole commit and takes appends again.
/// </summary>
internal sealed partial class PartitionLog : IAsyncDisposable
{
    private readonly string _directory;
    private readonly ILogSettings _options;
    private readonly TimeProvider _time;
    private readonly TimeSpan _commitInterval;
    private readonly ProgressSignal _progress;
    private readonly string _name;
    private readonly SemaphoreSlim _wake = new(0);

    // Commits of the committer and of retention, and the reopen that replaces the files under both, one at a time.
    private readonly SemaphoreSlim _commitGate = new(1, 1);
    private readonly List<LogOpening> _retired = [];
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _committer;

    private volatile LogOpening _files;
    private CommitBatch _open = new();
    private int _parked;
    private int _activeAppends;
    private volatile bool _closing;

    // Set while the partition refuses appends after a failed commit; cleared once the files are open again.
    private volatile RecordLogUnavailableException? _refusal;

    private PartitionLog(string name, string directory, LogOpening files, ILogSettings options, TimeProvider time, ProgressSignal progress)
    {
        _name = name;
        _directory = directory;
        _files = files;
        _options = options;
        _time = time;
        _commitInterval = options.CommitInterval;
        _progress = progress;
        _committer = Task.Run(RunCommitterAsync);
    }

    public int Partition { get; private init; }

    /// <summary>
    /// End of the durable part: a reader sees records below it. It is where the last commit file written whole says
    /// the log ends, so a reopen after a failed commit never takes back a record a reader was given.
    /// </summary>
    public long CommittedUntil => _files.Commits.DurableUntil;

    /// <summary>Address the next append gets; where a consumer starting at "latest" begins.</summary>
    public long Tail => _files.Log.TailAddress;

    public long Begin => _files.Log.BeginAddress;

    /// <summary>The files as opened now; a reader takes a reference before it scans them (<see cref="LogOpening.TryAcquire"/>).</summary>
    public LogOpening Files => _files;

    /// <summary>
    /// Drops the records before the start of the page holding <paramref name="address"/> (FasterLog deletes the
    /// segment files wholly below it) and commits at once, so that a recovery starts from the new begin and not from
    /// an address whose file is gone.
    /// </summary>
    public async ValueTask TruncateBeforeAsync(long address)
    {
        await _commitGate.WaitAsync().ConfigureAwait(false);
        try
        {
            var log = _files.Log;
            if (address <= log.BeginAddress || !IsOpen)
            {
                return;
            }

            log.TruncateUntilPageStart(address);
            await log.CommitAsync().ConfigureAwait(false);
        }
        finally
        {
            _commitGate.Release();
        }
    }

    public bool IsOpen => !_closing && _refusal is null;

    /// <summary>Opens (recovering what was committed before) the log in <paramref name="directory"/>.</summary>
    public static PartitionLog Open(string directory, string topic, int partition, ILogSettings options, TimeProvider time, ProgressSignal progress)
    {
        var files = LogOpening.Open(directory, options);
        ThreadPoolReserve.AddPartition();
        return new PartitionLog($"{topic}/{partition}", directory, files, options, time, progress) { Partition = partition };
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
            if (_closing || _refusal is not null)
            {
                throw Unavailable();
            }

            if (!_files.Log.TryEnqueue(entry, out address))
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

    private RecordLogUnavailableException Unavailable() =>
        _refusal ?? new RecordLogUnavailableException($"partition {_name} is closed");

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

        await _stopping.CancelAsync().ConfigureAwait(false);
        await _committer.ConfigureAwait(false);
        await _commitGate.WaitAsync().ConfigureAwait(false);

        // Readers still holding an opening find the topic closed before they read again (GroupMember checks it).
        _files.ForceClose();
        lock (_retired)
        {
            foreach (var retired in _retired)
            {
                retired.ForceClose();
            }

            _retired.Clear();
        }

        _commitGate.Release();
        _wake.Dispose();
        _stopping.Dispose();
    }
}
