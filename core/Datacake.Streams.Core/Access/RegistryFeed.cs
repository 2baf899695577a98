using System.Diagnostics.Metrics;
using System.Text;
using Datacake.Streams.RecordLog;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Datacake.Streams.Access;

/// <summary>
/// Keeps a <see cref="RegistryView"/> current: reads <c>dcs.registry</c> from the beginning in a consumer group of
/// its own (no commits: every start replays the compacted topic) and applies each change on a background thread.
/// </summary>
/// <remarks>
/// "Caught up" (for /readyz) means every change that was in the log when the feed started has been applied. The
/// log contract has no end-offset query, so at start the feed appends one tombstone per partition under a
/// <c>barrier:</c> key (keys are hashed to partitions: it tries keys until each partition got one) and is caught up
/// once it has read past all of them. Tombstones of unknown keys cost nothing after compaction.
/// The options are taken as valid: <see cref="RegistryFeedOptionsValidator"/> checks them when the host starts.
/// </remarks>
public sealed partial class RegistryFeed : IAsyncDisposable
{
    /// <summary>
    /// Meter of every feed in the process: instrument <c>records.refused</c> (Prometheus
    /// <c>datacake_streams_registry_records_refused</c>), tag <c>reason</c> = <c>unauthenticated</c> | <c>corrupt</c>.
    /// A forged change is an attack on the cluster, so an operator alerts on it without reading logs. Observable, not a
    /// plain counter: the exporter forgets a counter that has not moved for 5 minutes, and this one rarely moves.
    /// </summary>
    public const string MeterName = "Datacake.Streams.Registry";

    private static readonly Meter _meter = new(MeterName);
    private static long _refusedUnauthenticated;
    private static long _refusedCorrupt;
    private static readonly ObservableCounter<long> _refused = _meter.CreateObservableCounter(
        "records.refused",
        () => new[]
        {
            new Measurement<long>(Interlocked.Read(ref _refusedUnauthenticated), new KeyValuePair<string, object?>("reason", "unauthenticated")),
            new Measurement<long>(Interlocked.Read(ref _refusedCorrupt), new KeyValuePair<string, object?>("reason", "corrupt")),
        },
        description: "dcs.registry records refused: MAC not verified, or unreadable");

    private readonly IRecordLog _log;
    private readonly RegistryView _view;
    private readonly RegistryFeedOptions _options;
    private readonly RegistryChangeCodec _codec;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();

    private IRecordLogConsumer? _consumer;
    private Task? _loop;
    private long[] _applied = [];
    private long[] _barrier = [];
    private int _started;
    private volatile bool _caughtUp;
    private volatile Exception? _lastError;
    private volatile LogRecord? _pending;
    private long _failures;
    private long _records;
    private int _disposed;
    private long _corrupt;
    private long _rejected;
    private TaskCompletionSource? _progress;
    private readonly Lock _roundGate = new();
    private Task _round = Task.CompletedTask;
    private long _roundStarted = long.MinValue;

    /// <param name="codec">Verifies every record's MAC (<see cref="RegistryMac"/>) before anything is applied.</param>
    public RegistryFeed(
        IRecordLog log, RegistryView view, RegistryChangeCodec codec, RegistryFeedOptions? options = null, TimeProvider? timeProvider = null, ILogger<RegistryFeed>? logger = null)
    {
        _log = log ?? throw new ArgumentNullException(nameof(log));
        _view = view ?? throw new ArgumentNullException(nameof(view));
        _codec = codec ?? throw new ArgumentNullException(nameof(codec));
        _options = options ?? new RegistryFeedOptions();
        _timeProvider = timeProvider ?? TimeProvider.System;
        _logger = logger ?? NullLogger<RegistryFeed>.Instance;
        ConsumerGroup = _options.ConsumerGroup ?? _options.ConsumerGroupPrefix + Guid.NewGuid().ToString("N");
    }

    public string ConsumerGroup { get; }

    public RegistryView View => _view;

    /// <summary>Every change present in the log when the feed started has been applied.</summary>
    public bool IsCaughtUp => _caughtUp;

    /// <summary>Records read from the log so far, entities and barriers alike.</summary>
    public long RecordsRead => Interlocked.Read(ref _records);

    /// <summary>Records whose value could not be read; each removed its entity from the view (fail closed).</summary>
    public long CorruptRecords => Interlocked.Read(ref _corrupt);

    /// <summary>
    /// Records refused because their MAC did not verify (forged, altered, signed with another key, or written before
    /// registry changes were signed); none of them changed the view.
    /// </summary>
    public long Rejected => Interlocked.Read(ref _rejected);

    /// <summary>The last failure to read the log; the feed keeps retrying.</summary>
    public Exception? LastError => _lastError;

    /// <summary>Places the barriers, joins the group and starts applying changes. Returns before the feed is caught up.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _started, 1) != 0)
        {
            throw new InvalidOperationException("the feed is already started");
        }

        var partitions = _log.PartitionCount(LogTopics.Registry);
        _applied = new long[partitions];
        _applied.AsSpan().Fill(-1);
        _consumer = _log.Subscribe(LogTopics.Registry, ConsumerGroup, StartPosition.Earliest);
        _barrier = await PlaceBarriersAsync(partitions, cancellationToken).ConfigureAwait(false);
        _loop = Task.Factory.StartNew(Run, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    public Task WaitUntilCaughtUpAsync(CancellationToken cancellationToken = default) => WaitUntilAsync(_ => _caughtUp, cancellationToken);

    /// <summary>The feed's clock, for <see cref="CatchUpAsync"/>.</summary>
    public long GetTimestamp() => _timeProvider.GetTimestamp();

    /// <summary>
    /// Completes once a catch-up round that began at or after <paramref name="sinceTimestamp"/> (a
    /// <see cref="TimeProvider.GetTimestamp"/> of this feed's clock) has applied every change that was in the log when it
    /// began: it places a barrier in every partition, as at start, and waits until the feed has read past them.
    /// </summary>
    /// <remarks>
    /// For a processor that finds a record's credential or device unknown while the ingest node that accepted the
    /// record knew it: the change was in the log before the record, so before the miss, so before the round's
    /// barriers; once the round completes the view holds it, or it never existed. Rounds run one at a time and are
    /// shared: every caller whose miss came before a round began waits for that one (a chunk of misses costs one).
    /// </remarks>
    public Task CatchUpAsync(long sinceTimestamp, CancellationToken cancellationToken = default)
    {
        lock (_roundGate)
        {
            if (_roundStarted < sinceTimestamp)
            {
                var previous = _round;
                _roundStarted = _timeProvider.GetTimestamp();
                _round = RunRoundAfterAsync(previous);
            }

            return _round.WaitAsync(cancellationToken);
        }
    }

    private async Task RunRoundAfterAsync(Task previous)
    {
        try
        {
            await previous.ConfigureAwait(false);
        }
        catch (Exception) when (!_stopping.IsCancellationRequested)
        {
            // The previous round's failure was its callers'; this one tries afresh.
        }

        var barrier = await PlaceBarriersAsync(_applied.Length, _stopping.Token).ConfigureAwait(false);
        await WaitUntilAsync(_ => Reached(barrier), _stopping.Token).ConfigureAwait(false);
    }

    /// <summary>Completes once the record at <paramref name="position"/> (from <see cref="RegistryPublisher.PublishAsync"/>) has been applied.</summary>
    public Task WaitForAsync(LogPosition position, CancellationToken cancellationToken = default) =>
        WaitUntilAsync(_ => HasApplied(position), cancellationToken);

    public bool HasApplied(LogPosition position) =>
        position.Partition >= 0 && position.Partition < _applied.Length && Volatile.Read(ref _applied[position.Partition]) >= position.Offset;

    /// <summary>Completes once <paramref name="condition"/> holds for the view; re-checked after every applied record.</summary>
    public async Task WaitUntilAsync(Func<RegistryView, bool> condition, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(condition);
        while (true)
        {
            // Install the signal before checking: a record applied after the check then completes it.
            var signal = Volatile.Read(ref _progress);
            if (signal is null)
            {
                var fresh = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                signal = Interlocked.CompareExchange(ref _progress, fresh, null) ?? fresh;
            }

            if (condition(_view))
            {
                return;
            }

            await signal.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Stops the feed. Idempotent: the host stops it and then its container disposes it again.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
        {
            await _loop.ConfigureAwait(false);
        }

        _consumer?.Dispose();
        _stopping.Dispose();
    }

    private async Task<long[]> PlaceBarriersAsync(int partitions, CancellationToken cancellationToken)
    {
        var barrier = new long[partitions];
        barrier.AsSpan().Fill(-1);
        var covered = 0;
        for (var attempt = 0; covered < partitions && attempt < partitions * _options.BarrierAttemptsPerPartition; attempt++)
        {
            var key = Encoding.UTF8.GetBytes($"{RegistryKeys.Barrier}{ConsumerGroup}:{attempt}");
            var position = await _log.AppendAsync(LogTopics.Registry, key, ReadOnlyMemory<byte>.Empty, cancellationToken).ConfigureAwait(false);
            if (position.Partition < 0 || position.Partition >= partitions)
            {
                continue;
            }

            if (barrier[position.Partition] < 0)
            {
                covered++;
            }

            barrier[position.Partition] = Math.Max(barrier[position.Partition], position.Offset);
        }

        if (covered < partitions)
        {
            throw new InvalidOperationException($"registry barriers reached {covered} of {partitions} partitions of {LogTopics.Registry}");
        }

        return barrier;
    }

    // Nothing but stopping ends the loop: a feed that died quietly left the node refusing every token made after it and
    // honouring every token revoked after it, while the process looked healthy (seen in CI: an end-to-end host whose
    // feed thread was gone answered 401 to every new token for minutes). Any failure is logged, kept in LastError and
    // retried after RetryDelay; a change that cannot be applied is kept and applied again (below), never skipped.
    private void Run()
    {
        var consumer = _consumer!;
        while (!_stopping.IsCancellationRequested)
        {
            var record = _pending;
            try
            {
                record ??= consumer.Consume(_options.PollTimeout);
                if (record is not null)
                {
                    Apply(record);
                }

                if (_pending is not null)
                {
                    _pending = null;
                }
            }
            catch (Exception) when (_stopping.IsCancellationRequested)
            {
                break;
            }
            catch (Exception error)
            {
                // A change read but not applied is applied again, never skipped: the consumer has moved past it, and a
                // skipped revocation would leave the token valid on this node until a restart replays the topic.
                // Changes are idempotent (upserts and removals by id), so a second attempt after a partial one is safe;
                // while it fails, the node reports itself unhealthy rather than serve a view missing a change.
                _pending = record;
                _lastError = error;
                Interlocked.Increment(ref _failures);
                FeedFailed(_logger, error, LogTopics.Registry, record?.Position.Partition ?? -1, record?.Position.Offset ?? -1);
                PauseBeforeRetry();
            }
        }
    }

    /// <summary>The change that failed to apply and is being retried; null while the feed is current.</summary>
    public LogPosition? StuckAt => _pending?.Position;

    /// <summary>Failures of reading or applying a change since start (each logged; the feed goes on after each).</summary>
    public long Failures => Interlocked.Read(ref _failures);

    /// <summary>False once the loop has ended: only after <see cref="DisposeAsync"/> (or before <see cref="StartAsync"/>).</summary>
    public bool IsRunning => _loop is { IsCompleted: false };

    private void Apply(LogRecord record)
    {
        var status = _codec.TryDecode(record.Key.Span, record.Value.Span, out var change);
        if (status == RegistryDecodeStatus.Corrupt)
        {
            Interlocked.Increment(ref _corrupt);
            Interlocked.Increment(ref _refusedCorrupt);
        }
        else if (status == RegistryDecodeStatus.Unauthenticated)
        {
            // Each record is applied once per feed, so this logs once per offset. Only where it is: the key and value
            // are whatever the forger chose and stay out of the log.
            Interlocked.Increment(ref _rejected);
            Interlocked.Increment(ref _refusedUnauthenticated);
            RecordRejected(_logger, LogTopics.Registry, record.Position.Partition, record.Position.Offset);
        }

        if (change is not null)
        {
            _view.Apply(change);
        }

        var partition = record.Position.Partition;
        if (partition >= 0 && partition < _applied.Length)
        {
            Volatile.Write(ref _applied[partition], Math.Max(_applied[partition], record.Position.Offset));
        }

        Interlocked.Increment(ref _records);
        if (!_caughtUp && ReachedBarriers())
        {
            _caughtUp = true;
        }

        Interlocked.Exchange(ref _progress, null)?.TrySetResult();
    }

    private bool ReachedBarriers() => Reached(_barrier);

    private bool Reached(long[] barrier)
    {
        for (var partition = 0; partition < barrier.Length; partition++)
        {
            if (Volatile.Read(ref _applied[partition]) < barrier[partition])
            {
                return false;
            }
        }

        return true;
    }

    private void PauseBeforeRetry()
    {
        try
        {
            Task.Delay(_options.RetryDelay, _timeProvider, _stopping.Token).Wait();
        }
        catch (AggregateException)
        {
            // Stopping: the loop condition ends the feed.
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "The {Topic} feed failed at partition {Partition} offset {Offset} (-1: while reading); it goes on after a pause")]
    private static partial void FeedFailed(ILogger logger, Exception exception, string topic, int partition, long offset);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused the {Topic} record at partition {Partition} offset {Offset}: its MAC does not verify under the registry key")]
    private static partial void RecordRejected(ILogger logger, string topic, int partition, long offset);
}
