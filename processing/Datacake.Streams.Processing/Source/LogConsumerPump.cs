using System.Buffers;
using System.Collections.Concurrent;
using System.Threading.Channels;
using Datacake.Streams.Processing.Pipeline;
using Datacake.Streams.RecordLog;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Datacake.Streams.Processing.Source;

/// <summary>
/// Runs an <see cref="IRecordLogConsumer"/> on a thread of its own: the consumer blocks in <c>Consume</c> and is not
/// thread-safe, so reading AND committing happen here, never on the Akka dispatcher. Records go into a bounded
/// channel, in chunks per partition (<see cref="RecordChunk"/>), that <see cref="LogSourceStage"/> reads; commits come
/// back through <see cref="RequestCommit"/>.
/// </summary>
/// <remarks>
/// Every partition carries an assignment epoch. It changes when the partition is lost, gained, or starts over at an
/// earlier offset (lost and regained between two looks); a commit from the stream for another epoch than the
/// current one is dropped, so the substream of a lost partition never commits over its new owner.
/// The consumer is owned by the caller (created before, disposed after): closing it from inside the stream raced
/// in-flight batches (ENVIRONMENT.md).
/// </remarks>
public sealed class LogConsumerPump : IDisposable
{
    // Short enough that a commit waits at most this long behind an idle Consume; long enough not to spin.
    private static readonly TimeSpan s_pollTimeout = TimeSpan.FromMilliseconds(20);

    // Assignment allocates a list in some backends: look at it when idle and every this many records.
    private const int AssignmentCheckInterval = 1024;

    // A power of two: whether the stream starves is looked at every this many records.
    private const int StarvationCheckInterval = 16;

    // Chunks kept for reuse: the read-ahead's chunks, the stream's buffers and ~20 per batch of 5,000 records in
    // flight come to ~100 at the defaults; 128 of ~80 KiB keep ~10 MiB.
    private const int PooledChunks = 128;

    private readonly IRecordLogConsumer _consumer;
    private readonly IRecordLogCopyingConsumer? _copying;
    private readonly ArrayBufferWriter<byte> _scratch = new(4096);
    private readonly RecordChunkPool _chunks;
    private readonly ProcessingProgress _progress;
    private readonly ProcessingMetrics? _metrics;
    private readonly ILogger _logger;
    private readonly Channel<RecordChunk> _records;
    private readonly Dictionary<int, RecordChunk> _open = [];
    private readonly Queue<RecordChunk> _ready = new();
    private readonly ConcurrentQueue<CommitPoint> _commits = new();
    private readonly Dictionary<int, long> _epochs = [];
    private readonly Dictionary<int, long> _lastOffsets = [];
    private readonly Dictionary<int, CommitPoint> _coalesced = [];
    private readonly Thread _thread;
    private readonly int _chunkCapacity;
    private HashSet<int> _assigned = [];
    private long _nextEpoch;
    private volatile bool _stopReading;
    private volatile bool _stop;
    private volatile bool _flushOnStop;
    private int _openRecords;

    public LogConsumerPump(IRecordLogConsumer consumer, ProcessingProgress progress, int readAhead, ProcessingMetrics? metrics = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(consumer);
        ArgumentNullException.ThrowIfNull(progress);
        _consumer = consumer;
        _copying = consumer as IRecordLogCopyingConsumer;
        _progress = progress;
        _metrics = metrics;
        _logger = logger ?? NullLogger.Instance;
        // Read-ahead counts records; the channel holds chunks of them, so a small read-ahead makes small chunks.
        _chunkCapacity = Math.Clamp(readAhead, 1, RecordChunk.Capacity);
        _chunks = new RecordChunkPool(_chunkCapacity, PooledChunks);
        _records = Channel.CreateBounded<RecordChunk>(new BoundedChannelOptions(Math.Max(1, readAhead / _chunkCapacity))
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _thread = new Thread(Run) { IsBackground = true, Name = "dcs-log-consumer" };
    }

    /// <summary>Chunks of records in log order per partition; completes when reading stops, faults when the log fails.</summary>
    public ChannelReader<RecordChunk> Records => _records.Reader;

    /// <summary>Commits that were dropped because their partition changed owner or epoch meanwhile.</summary>
    public long StaleCommits => Interlocked.Read(ref _staleCommits);

    private long _staleCommits;

    public void Start() => _thread.Start();

    /// <summary>Queues a commit; the consumer thread performs it (and only if the epoch still holds).</summary>
    public void RequestCommit(CommitPoint commit) => _commits.Enqueue(commit);

    /// <summary>Stops consuming and completes <see cref="Records"/>; commits are still served until <see cref="Stop"/>.</summary>
    public void StopReading() => _stopReading = true;

    /// <summary>Ends the thread. <paramref name="flushCommits"/>: perform the commits queued so far first (graceful stop); else drop them (a kill).</summary>
    public void Stop(bool flushCommits)
    {
        _flushOnStop = flushCommits;
        _stopReading = true;
        _stop = true;
        if (_thread.IsAlive)
        {
            _thread.Join();
        }
    }

    public void Dispose() => Stop(flushCommits: false);

    private void Run()
    {
        var sinceCheck = AssignmentCheckInterval;
        try
        {
            while (!_stop)
            {
                DrainCommits();
                if (_stopReading)
                {
                    // Best effort: what was read goes in if there is room; the rest is read again after the last commit.
                    FlushOpen();
                    while (_ready.TryPeek(out var last) && _records.Writer.TryWrite(last))
                    {
                        _ready.Dequeue();
                        _metrics?.RecordsRead(last.Count);
                    }

                    _records.Writer.TryComplete();
                    WaitBriefly();
                    continue;
                }

                if (_ready.TryPeek(out var chunk))
                {
                    if (_records.Writer.TryWrite(chunk))
                    {
                        _ready.Dequeue();
                        _metrics?.RecordsRead(chunk.Count);
                    }
                    else
                    {
                        // Backpressure: the stream is behind (e.g. InfluxDB is down). Keep serving commits meanwhile.
                        WaitForSpace();
                    }

                    continue;
                }

                if (sinceCheck >= AssignmentCheckInterval)
                {
                    CheckAssignment();
                    sinceCheck = 0;
                }

                // With records in open chunks, do not wait: no record ready now means hand them over.
                if (!ReadNext(_openRecords > 0 ? TimeSpan.Zero : s_pollTimeout))
                {
                    FlushOpen();
                    sinceCheck = AssignmentCheckInterval;
                    continue;
                }

                sinceCheck++;
            }

            if (_flushOnStop)
            {
                DrainCommits();
            }
        }
        catch (Exception e) when (e is RecordLogUnavailableException or ObjectDisposedException or InvalidOperationException)
        {
            LogConsumerFailed(_logger, e);
            _records.Writer.TryComplete(e);
        }
        finally
        {
            _records.Writer.TryComplete();
        }
    }

    /// <summary>Reads the next record into its partition's open chunk; false when none came within <paramref name="timeout"/>.</summary>
    private bool ReadNext(TimeSpan timeout)
    {
        if (_copying is { } copying)
        {
            // Copied twice (log → scratch → chunk) because the partition, hence the chunk, is known only after the
            // read: ~250 B of memcpy, against an array and a LogRecord per record otherwise.
            _scratch.ResetWrittenCount();
            if (!copying.TryConsumeInto(timeout, _scratch, out var position, out var keyLength, out var valueLength))
            {
                return false;
            }

            var bytes = _scratch.WrittenSpan;
            Add(position, bytes[..keyLength], bytes.Slice(keyLength, valueLength));
            return true;
        }

        if (_consumer.Consume(timeout) is not { } record)
        {
            return false;
        }

        Add(record.Position, record.Key.Span, record.Value.Span);
        return true;
    }

    /// <summary>Puts a record into its partition's open chunk; a full chunk, or any when the stream starves, is made ready.</summary>
    private void Add(LogPosition position, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        var partition = position.Partition;
        var epoch = EpochOf(position);
        if (!_open.TryGetValue(partition, out var chunk) || chunk.Epoch != epoch)
        {
            if (chunk is not null)
            {
                // A new epoch starts a new chunk: a chunk never mixes assignments.
                Ready(chunk);
            }

            chunk = _chunks.Rent(partition, epoch);
            _open[partition] = chunk;
        }

        chunk.Add(position, epoch, key, value);
        _openRecords++;
        if (chunk.IsFull)
        {
            Ready(chunk);
            _open.Remove(partition);
            return;
        }

        // The stream has nothing to do: hand over what there is instead of waiting for chunks to fill. Looked at on
        // the first record and every few after it, as the channel's count takes its lock.
        if ((_openRecords == 1 || (_openRecords & (StarvationCheckInterval - 1)) == 0) && _records.Reader.Count == 0)
        {
            FlushOpen();
        }
    }

    private void Ready(RecordChunk chunk)
    {
        // Counted per chunk: a shared counter touched per record bounced its cache line between the two cores.
        _progress.OnRecordsRead(chunk.Count);
        _openRecords -= chunk.Count;
        _ready.Enqueue(chunk);
    }

    private void FlushOpen()
    {
        foreach (var chunk in _open.Values)
        {
            Ready(chunk);
        }

        _open.Clear();
    }

    private void WaitForSpace()
    {
        try
        {
            _records.Writer.WaitToWriteAsync().AsTask().Wait(s_pollTimeout);
        }
        catch (AggregateException)
        {
            // Completed meanwhile: the loop sees the stop flag.
        }
    }

    private static void WaitBriefly() => Thread.Sleep(s_pollTimeout);

    private long EpochOf(LogPosition position)
    {
        var partition = position.Partition;
        if (!_epochs.TryGetValue(partition, out var epoch)
            || (_lastOffsets.TryGetValue(partition, out var last) && position.Offset <= last))
        {
            // New to us, or the consumer went back (the partition was lost and regained between two looks).
            epoch = ++_nextEpoch;
            _epochs[partition] = epoch;
        }

        _lastOffsets[partition] = position.Offset;
        return epoch;
    }

    private void CheckAssignment()
    {
        var assignment = _consumer.Assignment;
        if (assignment.Count == _assigned.Count && assignment.All(_assigned.Contains))
        {
            return;
        }

        var now = assignment.ToHashSet();
        foreach (var lost in _assigned.Where(p => !now.Contains(p)))
        {
            _epochs.Remove(lost);
            _lastOffsets.Remove(lost);
        }

        foreach (var gained in now.Where(p => !_assigned.Contains(p)))
        {
            _epochs.Remove(gained);
            _lastOffsets.Remove(gained);
        }

        _assigned = now;
        _progress.OnAssignment([.. now.Order()]);
        LogAssignment(_logger, string.Join(",", now.Order()));
    }

    private void DrainCommits()
    {
        if (_commits.IsEmpty)
        {
            return;
        }

        while (_commits.TryDequeue(out var commit))
        {
            var partition = commit.Position.Partition;
            if (!_coalesced.TryGetValue(partition, out var existing) || commit.Position.Offset > existing.Position.Offset || commit.Epoch != existing.Epoch)
            {
                _coalesced[partition] = commit;
            }
        }

        foreach (var commit in _coalesced.Values)
        {
            if (!_epochs.TryGetValue(commit.Position.Partition, out var epoch) || epoch != commit.Epoch)
            {
                Interlocked.Increment(ref _staleCommits);
                continue;
            }

            if (TryCommit(commit.Position))
            {
                _progress.OnCommitted(commit.Position);
            }
            else
            {
                Interlocked.Increment(ref _staleCommits);
            }
        }

        _coalesced.Clear();
    }

    private bool TryCommit(LogPosition position)
    {
        try
        {
            return _consumer.Commit(position);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Kafka throws while a rebalance is under way; the new owner replays from the last good commit.
            LogCommitFailed(_logger, position.Partition, position.Offset, e);
            return false;
        }
    }

    private static readonly Action<ILogger, int, long, Exception?> s_commitFailed =
        LoggerMessage.Define<int, long>(LogLevel.Warning, new EventId(3, "CommitFailed"), "Commit of partition {Partition} offset {Offset} failed");

    private static void LogCommitFailed(ILogger logger, int partition, long offset, Exception e) => s_commitFailed(logger, partition, offset, e);

    private static readonly Action<ILogger, Exception?> s_consumerFailed =
        LoggerMessage.Define(LogLevel.Error, new EventId(1, "ConsumerFailed"), "The record log consumer failed; the processing stream stops");

    private static readonly Action<ILogger, string, Exception?> s_assignment =
        LoggerMessage.Define<string>(LogLevel.Information, new EventId(2, "Assignment"), "Processing owns partitions [{Partitions}] of dcs.raw");

    private static void LogConsumerFailed(ILogger logger, Exception e) => s_consumerFailed(logger, e);

    private static void LogAssignment(ILogger logger, string partitions) => s_assignment(logger, partitions, null);
}
