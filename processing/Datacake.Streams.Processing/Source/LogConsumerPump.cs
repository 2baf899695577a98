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
/// channel that <see cref="LogSourceStage"/> reads; commits come back through <see cref="RequestCommit"/>.
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

    private readonly IRecordLogConsumer _consumer;
    private readonly ProcessingProgress _progress;
    private readonly ProcessingMetrics? _metrics;
    private readonly ILogger _logger;
    private readonly Channel<PipelineRecord> _records;
    private readonly ConcurrentQueue<CommitPoint> _commits = new();
    private readonly Dictionary<int, long> _epochs = [];
    private readonly Dictionary<int, long> _lastOffsets = [];
    private readonly Dictionary<int, CommitPoint> _coalesced = [];
    private readonly Thread _thread;
    private HashSet<int> _assigned = [];
    private long _nextEpoch;
    private volatile bool _stopReading;
    private volatile bool _stop;
    private volatile bool _flushOnStop;
    private PipelineRecord? _pending;

    public LogConsumerPump(IRecordLogConsumer consumer, ProcessingProgress progress, int readAhead, ProcessingMetrics? metrics = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(consumer);
        ArgumentNullException.ThrowIfNull(progress);
        _consumer = consumer;
        _progress = progress;
        _metrics = metrics;
        _logger = logger ?? NullLogger.Instance;
        _records = Channel.CreateBounded<PipelineRecord>(new BoundedChannelOptions(readAhead)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _thread = new Thread(Run) { IsBackground = true, Name = "dcs-log-consumer" };
    }

    /// <summary>Records in log order per partition; completes when reading stops, faults when the log fails.</summary>
    public ChannelReader<PipelineRecord> Records => _records.Reader;

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
                    _records.Writer.TryComplete();
                    WaitBriefly();
                    continue;
                }

                if (sinceCheck >= AssignmentCheckInterval)
                {
                    CheckAssignment();
                    sinceCheck = 0;
                }

                if (_pending is null)
                {
                    var record = _consumer.Consume(s_pollTimeout);
                    if (record is null)
                    {
                        sinceCheck = AssignmentCheckInterval;
                        continue;
                    }

                    sinceCheck++;
                    _metrics?.RecordIn();
                    _progress.OnRecordRead();
                    _pending = new PipelineRecord(record, EpochOf(record.Position));
                }

                if (_records.Writer.TryWrite(_pending))
                {
                    _pending = null;
                }
                else
                {
                    // Backpressure: the stream is behind (e.g. InfluxDB is down). Keep serving commits meanwhile.
                    WaitForSpace();
                }
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
