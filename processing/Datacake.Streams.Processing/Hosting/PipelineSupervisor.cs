using Datacake.Streams.Processing.Pipeline;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Datacake.Streams.Processing.Hosting;

/// <summary>
/// Keeps a <see cref="ProcessingPipeline"/> running: when the stream ends with a failure (or ends at all) while no
/// stop was asked for, the failed pipeline is torn down like a crash, and after a backoff a new one joins the group
/// and resumes from the committed positions.
/// </summary>
/// <remarks>
/// Nothing is lost or stored twice by a restart: positions are committed only after their batch is in InfluxDB
/// (or dead-lettered), the replay and dedup state is reopened as of those commits, and the records read again are
/// rewritten with their explicit timestamps, which overwrites the points a write before the failure may have
/// stored. The backoff starts at <see cref="ProcessingOptions.RestartDelay"/>, doubles up to
/// <see cref="ProcessingOptions.RestartMaxDelay"/>, and starts over after a run of
/// <see cref="ProcessingOptions.RestartResetAfter"/>; time is the injected <see cref="TimeProvider"/>'s. A record that
/// failed a stage the same way in the first run and in <see cref="ProcessingOptions.PoisonAfterRestarts"/> restarts
/// after it is marked in <see cref="PoisonRecords"/>, which the next run dead-letters (<c>poison</c>).
/// </remarks>
public sealed class PipelineSupervisor : IAsyncDisposable
{
    private readonly Func<ProcessingPipeline> _create;
    private readonly ProcessingOptions _options;
    private readonly ProcessingMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly PoisonRecords _poison;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _lock = new();
    private volatile ProcessingPipeline? _current;
    private long _startedAt;
    private long _restarts;
    private DateTimeOffset? _downSince;
    private Task _supervision = Task.CompletedTask;

    /// <param name="create">A new, not yet started pipeline; called once at start and once per restart.</param>
    /// <param name="poison">The marks the pipelines that <paramref name="create"/> makes read (<see cref="ProcessingPipeline"/>'s <c>poison</c>).</param>
    public PipelineSupervisor(Func<ProcessingPipeline> create, ProcessingOptions options, ProcessingMetrics metrics, TimeProvider? time = null, ILogger? logger = null, PoisonRecords? poison = null)
    {
        ArgumentNullException.ThrowIfNull(create);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(metrics);
        _create = create;
        _options = options;
        _metrics = metrics;
        _time = time ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
        _poison = poison ?? new PoisonRecords();
    }

    /// <summary>The records given up on as poison, and the count of failed runs in a row on one record.</summary>
    public PoisonRecords Poison => _poison;

    /// <summary>The pipeline of the current run (a failed one while its restart waits); null before start.</summary>
    public ProcessingPipeline? Current => _current;

    /// <summary>Restarts after failures since start.</summary>
    public long Restarts => Interlocked.Read(ref _restarts);

    /// <summary>When the failed pipeline is started again; null while none waits for its restart.</summary>
    public DateTimeOffset? RestartDue { get; private set; }

    /// <summary>The failure that ended the last failed run; null while none has failed.</summary>
    public Exception? LastFailure { get; private set; }

    /// <summary>
    /// How long processing has been down as of now: since the first failure of a series of runs none of which lasted
    /// <see cref="ProcessingOptions.RestartResetAfter"/>; zero while a run is healthy. A crash loop of short runs
    /// counts as one outage, so restarts that never hold do not hide it.
    /// </summary>
    public TimeSpan DownFor
    {
        get
        {
            lock (_lock)
            {
                if (_downSince is not { } since)
                {
                    return TimeSpan.Zero;
                }

                if (_current is { } current && current.Progress.IsRunning && _time.GetElapsedTime(_startedAt) >= _options.RestartResetAfter)
                {
                    return TimeSpan.Zero;
                }

                return _time.GetUtcNow() - since;
            }
        }
    }

    public void Start()
    {
        lock (_lock)
        {
            if (_current is not null)
            {
                throw new InvalidOperationException("The supervisor was already started.");
            }

            StartRun();
        }

        _supervision = Task.Run(() => SuperviseAsync(_stopping.Token));
    }

    /// <summary>Stops supervising and stops the current pipeline gracefully (see <see cref="ProcessingPipeline.StopAsync"/>).</summary>
    public async Task StopAsync()
    {
        ProcessingPipeline? current;
        lock (_lock)
        {
            if (_stopping.IsCancellationRequested)
            {
                return;
            }

            _stopping.Cancel();
            current = _current;
        }

        if (current is not null)
        {
            await current.StopAsync().ConfigureAwait(false);
        }

        await _supervision.ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _stopping.Dispose();
    }

    private void StartRun()
    {
        var pipeline = _create();
        _startedAt = _time.GetTimestamp();
        _current = pipeline;
        pipeline.Start();
    }

    private async Task SuperviseAsync(CancellationToken stopping)
    {
        var delay = _options.RestartDelay;
        Exception? startFailure = null;
        while (true)
        {
            var pipeline = _current!;
            if (startFailure is null)
            {
                try
                {
                    await pipeline.Completion.WaitAsync(stopping).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (stopping.IsCancellationRequested)
                {
                    return;
                }
            }

            if (stopping.IsCancellationRequested)
            {
                return;
            }

            var ran = _time.GetElapsedTime(_startedAt);
            lock (_lock)
            {
                if (ran >= _options.RestartResetAfter)
                {
                    delay = _options.RestartDelay;
                    _downSince = null;
                }

                _downSince ??= _time.GetUtcNow();
            }

            var failure = startFailure ?? pipeline.Progress.Failure ?? new InvalidOperationException("the processing stream completed although no stop was asked for");
            startFailure = null;
            LastFailure = failure;
            LogFailed(_logger, ran.TotalSeconds, delay.TotalSeconds, failure);
            if (_poison.CountFailedRun(failure as RecordFailedException, _options.PoisonAfterRestarts) && failure is RecordFailedException poisoned)
            {
                LogPoisoned(_logger, poisoned.Position.Partition, poisoned.Position.Offset, _options.PoisonAfterRestarts, null);
            }

            // As after a crash: the commits of batches written before the failure are dropped, and their records
            // are read and written again by the next run.
            pipeline.Kill();
            try
            {
                // The timer first, then the due time: whoever sees RestartDue finds the timer already set.
                var wait = Task.Delay(delay, _time, stopping);
                RestartDue = _time.GetUtcNow() + delay;
                await wait.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            finally
            {
                RestartDue = null;
            }

            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.RestartMaxDelay.Ticks));
            lock (_lock)
            {
                if (stopping.IsCancellationRequested)
                {
                    return;
                }

                var restarts = Interlocked.Increment(ref _restarts);
                _metrics.Restarted();
                LogRestarting(_logger, restarts, null);
                try
                {
                    StartRun();
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    // Joining the group failed (the log unreachable, say): waited out like a failed run.
                    startFailure = e;
                }
            }
        }
    }

    private static readonly Action<ILogger, double, double, Exception?> LogFailed =
        LoggerMessage.Define<double, double>(LogLevel.Error, new EventId(30, "PipelineFailed"), "The processing pipeline failed after {RanSeconds:0.0} s; restarting from the committed positions in {DelaySeconds:0.0} s");

    private static readonly Action<ILogger, int, long, int, Exception?> LogPoisoned =
        LoggerMessage.Define<int, long, int>(LogLevel.Error, new EventId(32, "RecordPoisoned"), "The record at {Partition}@{Offset} failed the pipeline in the first run and after {Restarts} restarts; the next run dead-letters it as poison");

    private static readonly Action<ILogger, long, Exception?> LogRestarting =
        LoggerMessage.Define<long>(LogLevel.Warning, new EventId(31, "PipelineRestarting"), "Starting the processing pipeline again (restart {Restarts})");
}
