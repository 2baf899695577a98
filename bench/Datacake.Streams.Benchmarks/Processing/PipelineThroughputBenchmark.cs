using Datacake.Streams.Processing.Hosting;
using System.Globalization;
using System.Net;
using System.Text;
using Akka.Actor;
using Akka.Configuration;
using BenchmarkDotNet.Attributes;
using Datacake.Streams.Access;
using Datacake.Streams.Ids;
using Datacake.Streams.Influx.Client;
using Datacake.Streams.Influx.Querying;
using Datacake.Streams.Processing.Decoding;
using Datacake.Streams.Processing.Dedup;
using Datacake.Streams.Processing.Pipeline;
using Datacake.Streams.Processing.Replay;
using Datacake.Streams.Processing.State;
using Datacake.Streams.RecordLog;
using Datacake.Streams.RecordLog.Faster;
using Datacake.Streams.Records;

namespace Datacake.Streams.Benchmarks.Processing;

/// <summary>
/// Records per second through the processing pipeline as it runs in the host: signed JSON records of 5 values
/// (1,000 devices, each record with its own MQTT-style message id) pre-filled on a FasterLog on disk with 4
/// partitions, read by a fresh consumer group each invocation through the real source (LogConsumerPump,
/// LogSourceStage) and the real stages: envelope check + HMAC verify, authorization through the registry view,
/// replay guard, dedup and partition state saved on disk (<see cref="GuardedVerdicts"/>, a fresh state folder each
/// invocation), JSON values decoding into line protocol, batching, the real BatchWriter and commit stage.
/// <list type="bullet">
/// <item><c>WithoutInfluxDb</c>: the writer's HTTP requests go to a handler that discards the body and answers 204,
/// as influxd does: the pipeline alone (issue 5's acceptance: ≥ 500k records/s).</item>
/// <item><c>EndToEnd</c>: the same into the real influxd 1.6.7 (DCS_SERVICES_ENV or .services/env, as the
/// integration tests; ops/services.sh up).</item>
/// </list>
/// An invocation starts the pipeline and ends when every partition's last offset is committed (its graceful stop and
/// the check that every record was written once follow, unmeasured); the "records/s" column is what that means.
/// 1,000,000 records per invocation: with 250,000 (~0.5 s) the fixed start (first batch filling) and tail (the last
/// partial batch's 50 ms window, the checkpointer's 10 ms quiet period and final save) were ~15% of the clock, and the
/// per-invocation setup (fresh state windows growing) a third of the bytes allocated per record.
/// The job (in process, 3 warm-ups, 7 measured invocations) is in <see cref="RecordsPerSecondConfig"/>: run it without
/// <c>--inProcess</c> or job options, which would add a second, default job.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(RecordsPerSecondConfig))]
public class PipelineThroughputBenchmark
{
    public const int Records = 1_000_000;
    private const int Devices = 1_000;
    private const int Partitions = 4;

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "dcs-bench-pipeline-" + Guid.NewGuid().ToString("N"));
    private readonly Dictionary<int, long> _lastOffsets = [];
    private (ProcessingPipeline Pipeline, string StateDirectory)? _run;
    private FasterRecordLog _log = null!;
    private InfluxClient? _influx;
    private InfluxClient _discarding = null!;
    private ActorSystem _system = null!;
    private AdapterSigner _signer = null!;
    private RegistryView _registry = null!;
    private UplinkDecoder _uplinks = null!;

    [GlobalSetup]
    public void Setup()
    {
        _log = FasterRecordLog.OpenAsync(new FasterRecordLogOptions { DataDirectory = Path.Combine(_directory, "log"), Partitions = Partitions }).GetAwaiter().GetResult();
        _signer = new AdapterSigner(AdapterKeyring.CreateRandom());
        _registry = new RegistryView();
        _registry.Apply(new WorkspaceUpserted(new WorkspaceEntry("ws", null)));
        var token = TokenHash.Of(AccessToken.New().Secret);
        _registry.Apply(new TokenUpserted(new TokenGrant { TokenId = "t", Hash = token, WorkspaceId = "ws", Role = WorkspaceRole.Editor }));
        var devices = Enumerable.Range(0, Devices).Select(_ => DeviceId.New()).ToArray();
        foreach (var device in devices)
        {
            _registry.Apply(new DeviceUpserted(new DeviceEntry { Id = device, WorkspaceId = "ws" }));
        }

        _uplinks = new UplinkDecoder(new DevicePayloadDecoder(_registry, new JavaScriptDecoder(new JavaScriptDecoderOptions())));
        Fill(devices, token);

        // The discarding store: the real client and writer, an HTTP handler that drops the body and answers as influxd.
        _discarding = new InfluxClient(new HttpClient(new DiscardingHandler()), new InfluxOptions { Url = new Uri("http://127.0.0.1:1"), Database = "discard" });
        _system = ActorSystem.Create("bench", ConfigurationFactory.ParseString("akka.loglevel = WARNING"));
    }

    [GlobalSetup(Target = nameof(EndToEnd))]
    public void SetupEndToEnd()
    {
        Setup();
        var env = ServicesEnv();
        _influx = new InfluxClient(new InfluxOptions
        {
            Url = new Uri(env["DCS_INFLUX_URL"]),
            User = env["DCS_INFLUX_USER"],
            Password = env["DCS_INFLUX_PASSWORD"],
            Database = "bench_" + Guid.NewGuid().ToString("N"),
        });
        var db = InfluxQl.QuoteIdentifier(_influx.Options.Database);
        _influx.ExecuteAsync($"CREATE DATABASE {db}").GetAwaiter().GetResult();
        _influx.ExecuteAsync($"CREATE RETENTION POLICY \"raw\" ON {db} DURATION 30d REPLICATION 1 DEFAULT").GetAwaiter().GetResult();
        _influx.ExecuteAsync($"CREATE RETENTION POLICY \"meta\" ON {db} DURATION 14d REPLICATION 1").GetAwaiter().GetResult();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _system.Terminate().GetAwaiter().GetResult();
        _log.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _discarding.Dispose();
        if (_influx is not null)
        {
            _influx.ExecuteAsync($"DROP DATABASE {InfluxQl.QuoteIdentifier(_influx.Options.Database)}").GetAwaiter().GetResult();
            _influx.Dispose();
        }

        Directory.Delete(_directory, recursive: true);
    }

    [Benchmark(OperationsPerInvoke = Records)]
    public Task WithoutInfluxDb() => RunAsync(_discarding);

    [Benchmark(OperationsPerInvoke = Records)]
    public Task EndToEnd() => RunAsync(_influx!);

    private void Fill(DeviceId[] devices, TokenHash token)
    {
        var start = DateTimeOffset.UtcNow.AddHours(-1);
        var appends = new List<Task<LogPosition>>(Records);
        for (var i = 0; i < Records; i++)
        {
            var json = string.Create(CultureInfo.InvariantCulture, $"{{\"temperature\":{i % 40}.5,\"humidity\":{i % 100},\"pressure\":1013.2,\"battery\":3.{i % 10},\"count\":{i}}}");
            var device = devices[i % Devices];
            var value = _signer.EncodeSigned(new RawRecord
            {
                Version = RawRecord.CurrentVersion,
                DeviceId = device,
                Source = SourceKind.Mqtt,
                ReceivedAtUnixNs = ((start - DateTimeOffset.UnixEpoch).Ticks * 100) + (i * 1_000_000L),
                MessageId = string.Create(CultureInfo.InvariantCulture, $"{i:x16}"),
                PayloadKind = PayloadKind.JsonValues,
                Payload = Encoding.UTF8.GetBytes(json),
                Credential = token,
                CredentialKind = CredentialKind.Token,
            });
            appends.Add(_log.AppendAsync(LogTopics.Raw, device.ToBytes(), value).AsTask());
        }

        foreach (var position in Task.WhenAll(appends).GetAwaiter().GetResult())
        {
            _lastOffsets[position.Partition] = Math.Max(_lastOffsets.GetValueOrDefault(position.Partition, -1), position.Offset);
        }
    }

    /// <summary>
    /// Starts a pipeline on a fresh consumer group and state folder and returns once every partition's last offset is
    /// committed: the measured part. The graceful stop (drain, final state save, leaving the group: ~40 ms) is in <see cref="StopRunAsync"/>, outside it: a running processor does not stop between
    /// records, and the commit the clock waits for already needs the state saved.
    /// </summary>
    private async Task RunAsync(InfluxClient influx)
    {
        if (_run is not null)
        {
            throw new InvalidOperationException("the previous run's pipeline was not stopped (StopRun runs after each invocation)");
        }

        var stateDirectory = Path.Combine(_directory, "state-" + Guid.NewGuid().ToString("N"));
        var verdicts = new GuardedVerdicts(
            new PartitionStateStore(stateDirectory),
            new ReplayGuardOptions(),
            new DuplicateFilterOptions(),
            TimeProvider.System,
            _registry,
            _uplinks);
        var options = new ProcessingOptions { ConsumerGroup = "bench-" + Guid.NewGuid().ToString("N") };
        var pipeline = new ProcessingPipeline(_log, influx, _signer, _registry, verdicts, options, _system);
        _run = (pipeline, stateDirectory);
        pipeline.Start();
        var last = _lastOffsets.Select(p => new LogPosition(p.Key, p.Value)).ToArray();
        while (!pipeline.Progress.HasCommitted(last))
        {
            if (pipeline.Progress.Failure is { } failure)
            {
                throw new InvalidOperationException("the pipeline failed", failure);
            }

            await Task.Delay(1);
        }
    }

    /// <summary>Stops the run's pipeline and checks that every record was written once: after each invocation, unmeasured.</summary>
    [IterationCleanup]
    public void StopRun() => StopRunAsync().GetAwaiter().GetResult();

    /// <inheritdoc cref="StopRun"/>
    public async Task StopRunAsync()
    {
        if (_run is not var (pipeline, stateDirectory))
        {
            return;
        }

        _run = null;
        await pipeline.StopAsync();
        if (pipeline.Metrics.DeadLettered > 0 || pipeline.Metrics.Duplicates > 0 || pipeline.Metrics.Accepted != Records)
        {
            throw new InvalidOperationException(
                $"expected {Records} records written, got {pipeline.Metrics.Accepted} ({pipeline.Metrics.DeadLettered} dead-lettered, {pipeline.Metrics.Duplicates} duplicates)");
        }

        Directory.Delete(stateDirectory, recursive: true);
    }

    private static Dictionary<string, string> ServicesEnv()
    {
        var file = Environment.GetEnvironmentVariable("DCS_SERVICES_ENV");
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); file is null && dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Datacake.Streams.sln")))
            {
                file = Path.Combine(dir.FullName, ".services", "env");
            }
        }

        if (file is null || !File.Exists(file))
        {
            throw new InvalidOperationException("no services env file: start the services: ops/services.sh up (or set DCS_SERVICES_ENV)");
        }

        return File.ReadAllLines(file).Where(l => l.Contains('=', StringComparison.Ordinal))
            .ToDictionary(l => l[..l.IndexOf('=', StringComparison.Ordinal)], l => l[(l.IndexOf('=', StringComparison.Ordinal) + 1)..]);
    }

    /// <summary>InfluxDB's answer to a good write, without InfluxDB: the body is read (as a socket would) and dropped.</summary>
    private sealed class DiscardingHandler : HttpMessageHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.Content is { } content)
            {
                await content.CopyToAsync(Stream.Null, cancellationToken).ConfigureAwait(false);
            }

            return new HttpResponseMessage(HttpStatusCode.NoContent) { RequestMessage = request };
        }
    }
}
