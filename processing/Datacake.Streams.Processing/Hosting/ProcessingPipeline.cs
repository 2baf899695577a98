using Akka;
using Akka.Actor;
using Akka.Streams;
using Akka.Streams.Dsl;
using Datacake.Streams.Access;
using Datacake.Streams.Influx.Client;
using Datacake.Streams.Processing.DeadLetter;
using Datacake.Streams.Processing.Fields;
using Datacake.Streams.Processing.Pipeline;
using Datacake.Streams.Processing.Sink;
using Datacake.Streams.Processing.Source;
using Datacake.Streams.RecordLog;
using Datacake.Streams.Records;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using AkkaSink = Akka.Streams.Dsl.Sink;
using AkkaSource = Akka.Streams.Dsl.Source;

namespace Datacake.Streams.Processing.Hosting;

/// <summary>
/// The processing stream of one consumer-group member:
/// <code>
/// log source ─ groupBy(partition) ─┬─ envelope check ─ partition stage (guard, dedup, decode, time) ─┐ (async, per partition)
///                                  └─ ...                                                              ┘
///   ─ merge ─ batch (values lane, meta lane) ─ write (ordered, N in flight) ─ commit stage
///   ⇢ checkpointer thread (state saved, grouped) ⇢ consumer thread (commit)
/// </code>
/// Elements are <see cref="RecordChunk"/>s of one partition, not single records: the per-element cost of the stream
/// is paid once per chunk.
/// Records of one partition stay in log order end to end; a position is committed only after its batch's points and
/// dead letters are stored.
/// The options are taken as valid: <see cref="ProcessingOptionsValidator"/> checks them when the host starts.
/// </summary>
public sealed class ProcessingPipeline : IAsyncDisposable
{
    // Elements are chunks of up to 256 records: two per async boundary keep every stage busy (16, Akka's default,
    // would hold 4,096 records per boundary and read far past ProcessingOptions.ReadAhead).
    private static readonly Attributes s_buffers = Attributes.CreateInputBuffer(2, 2);

    private readonly IRecordLog _log;
    private readonly InfluxClient _influx;
    private readonly EnvelopeCheck _envelope;
    private readonly IRecordVerdicts _verdicts;
    private readonly ProcessingOptions _options;
    private readonly ActorSystem _system;
    private readonly TimeProvider _time;
    private readonly ILoggerFactory _loggers;
    private readonly PoisonRecords? _poison;
    private readonly CancellationTokenSource _stopping = new();
    private IRecordLogConsumer? _consumer;
    private LogConsumerPump? _pump;
    private PartitionStates? _states;
    private Checkpointer? _checkpointer;
    private UniqueKillSwitch? _killSwitch;
    private Task _completion = Task.CompletedTask;
    private int _stopped;

    public ProcessingPipeline(
        IRecordLog log,
        InfluxClient influx,
        AdapterSigner signer,
        RegistryView registry,
        IRecordVerdicts verdicts,
        ProcessingOptions options,
        ActorSystem system,
        TimeProvider? time = null,
        ProcessingMetrics? metrics = null,
        ILoggerFactory? loggers = null,
        RegistryFeed? feed = null,
        PoisonRecords? poison = null)
    {
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(influx);
        ArgumentNullException.ThrowIfNull(verdicts);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(system);

        _log = log;
        _influx = influx;
        _envelope = new EnvelopeCheck(signer, registry, feed, time);
        _verdicts = verdicts;
        _options = options;
        _system = system;
        _time = time ?? TimeProvider.System;
        Metrics = metrics ?? new ProcessingMetrics();
        _loggers = loggers ?? NullLoggerFactory.Instance;
        _poison = poison;
        FieldNames = new DeviceFieldNames(options.MaxFieldNamesPerDevice);
    }

    /// <summary>The stored field names per device, for the too_many_fields limit.</summary>
    public DeviceFieldNames FieldNames { get; }

    /// <summary>Completes when the stored field names were read at start (or the pipeline stopped first).</summary>
    public Task FieldNamesSeeded { get; private set; } = Task.CompletedTask;

    public ProcessingProgress Progress { get; } = new();

    public ProcessingMetrics Metrics { get; }

    /// <summary>Completes when the stream ends: after a stop, or with the error that failed it.</summary>
    public Task Completion => _completion;

    /// <summary>Joins the consumer group and starts the stream.</summary>
    public void Start()
    {
        if (_consumer is not null)
        {
            throw new InvalidOperationException("The pipeline was already started.");
        }

        _consumer = _log.Subscribe(LogTopics.Raw, _options.ConsumerGroup, StartPosition.Earliest);
        _pump = new LogConsumerPump(_consumer, Progress, _options.ReadAhead, Metrics, _loggers.CreateLogger<LogConsumerPump>());
        _states = new PartitionStates(_verdicts);
        var writer = new BatchWriter(_influx, new DeadLetterPublisher(_log, _time), _options, Metrics, _time, _loggers.CreateLogger<BatchWriter>());
        _checkpointer = new Checkpointer(_states, _pump, e => _killSwitch?.Abort(e), _loggers.CreateLogger<Checkpointer>(), _options.CheckpointInterval);
        var commit = new CommitStage(_checkpointer, Progress, Metrics);
        var partitionFlow = Flow.Create<RecordChunk>()
            .Via(new EnvelopeStage(_envelope, _poison))
            .Via(new PartitionStage(_states, _options, _time, FieldNames))
            .Async();

        var source = AkkaSource.FromGraph(new LogSourceStage(_pump.Records))
            .ViaMaterialized(KillSwitches.Single<RecordChunk>(), Keep.Right);
        var substreams = (SubFlow<RecordChunk, UniqueKillSwitch, IRunnableGraph<UniqueKillSwitch>>)source
            .GroupBy(_options.MaxPartitions, chunk => chunk.Partition)
            .Via(partitionFlow);
        var perPartition = (Source<RecordChunk, UniqueKillSwitch>)substreams.MergeSubstreams();

        var token = _stopping.Token;
        var (killSwitch, done) = perPartition
            .Via(new BatchStage(_options))
            .SelectAsync(_options.WriteParallelism, batch => writer.WriteAsync(batch, token))
            .ToMaterialized(AkkaSink.ForEach<WriteBatch>(commit.Commit), Keep.Both)
            .WithAttributes(s_buffers)
            .Run(_system.Materializer());

        _killSwitch = killSwitch;
        Progress.IsRunning = true;
        _completion = done.ContinueWith(
            t =>
            {
                Progress.IsRunning = false;
                // A record failure is kept whole (it names the record); anything else as its root cause.
                Progress.Failure = RecordFailedException.Find(t.Exception) ?? t.Exception?.GetBaseException();
            },
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
        _pump.Start();
        FieldNamesSeeded = Task.Run(() => FieldNameSeed.RunAsync(_influx, _options.ValuesRetentionPolicy, FieldNames, _time, _loggers.CreateLogger<ProcessingPipeline>(), token));
    }

    /// <summary>
    /// Graceful stop: no more records are read, in-flight batches are written and committed (up to
    /// <see cref="ProcessingOptions.DrainTimeout"/>), then the member leaves the group.
    /// </summary>
    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0 || _pump is null)
        {
            return;
        }

        _pump.StopReading();
        var drained = await Task.WhenAny(_completion, Task.Delay(_options.DrainTimeout, _time)).ConfigureAwait(false) == _completion;
        if (!drained)
        {
            await _stopping.CancelAsync().ConfigureAwait(false);
            _killSwitch?.Abort(new OperationCanceledException("processing stopped before in-flight batches were written"));
            _checkpointer?.Kill();
        }
        else if (_checkpointer is not null)
        {
            // The written batches' states are saved and their commits queued before the pump performs them.
            drained = await Task.Run(() => _checkpointer.Flush(_options.DrainTimeout)).ConfigureAwait(false);
        }

        _pump.Stop(flushCommits: drained);
        Release();
    }

    /// <summary>A crash, as far as the log can tell: the stream is torn down and nothing more is committed.</summary>
    public void Kill()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0 || _pump is null)
        {
            return;
        }

        _checkpointer?.Kill();
        _pump.Stop(flushCommits: false);
        _stopping.Cancel();
        _killSwitch?.Abort(new OperationCanceledException("processing killed"));
        Release();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _stopping.Dispose();
    }

    private void Release()
    {
        _checkpointer?.Dispose();
        _consumer?.Dispose();
        _states?.Dispose();
    }
}
