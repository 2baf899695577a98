using System.Globalization;
using System.Text;
using Akka.Actor;
using Akka.Configuration;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using Datacake.Streams.Access;
using Datacake.Streams.Ids;
using Datacake.Streams.Influx.Client;
using Datacake.Streams.Influx.Querying;
using Datacake.Streams.Ingest.Publishing;
using Datacake.Streams.Processing.Pipeline;
using Datacake.Streams.Processing.Values;
using Datacake.Streams.RecordLog;
using Datacake.Streams.RecordLog.Faster;
using Datacake.Streams.Records;

namespace Datacake.Streams.Benchmarks.Processing;

/// <summary>
/// Records per second through the whole processing pipeline: 100,000 signed JSON records of 5 values (1,000 devices)
/// on a FasterLog on disk, read by a fresh consumer group each invocation, through envelope check, authorization,
/// dedup and decoding, to the real influxd (<c>EndToEnd</c>), or with every record dropped as a duplicate after
/// decoding-free checks (<c>WithoutInfluxDb</c>: log → stages → commit, nothing written).
/// Needs influxd: DCS_SERVICES_ENV or .services/env as the integration tests (ops/services.sh up).
/// </summary>
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 1, iterationCount: 3, invocationCount: 1)]
public class PipelineThroughputBenchmark
{
    private const int Records = 100_000;
    private const int Devices = 1_000;

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "dcs-bench-pipeline-" + Guid.NewGuid().ToString("N"));
    private FasterRecordLog _log = null!;
    private InfluxClient _influx = null!;
    private ActorSystem _system = null!;
    private AdapterSigner _signer = null!;
    private RegistryView _registry = null!;

    [GlobalSetup]
    public void Setup()
    {
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

        _log = FasterRecordLog.OpenAsync(new FasterRecordLogOptions { DataDirectory = _directory, Partitions = 4 }).GetAwaiter().GetResult();
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

        var appender = new RawRecordAppender(_log, _signer);
        var start = DateTimeOffset.UtcNow.AddHours(-1);
        var appends = new List<Task>(Records);
        for (var i = 0; i < Records; i++)
        {
            var json = string.Create(CultureInfo.InvariantCulture, $"{{\"temperature\":{i % 40}.5,\"humidity\":{i % 100},\"pressure\":1013.2,\"battery\":3.{i % 10},\"count\":{i}}}");
            appends.Add(appender.AppendAsync(new RawRecord
            {
                DeviceId = devices[i % Devices],
                Source = SourceKind.Http,
                ReceivedAtUnixNs = (start - DateTimeOffset.UnixEpoch).Ticks * 100 + (i * 1_000_000L),
                PayloadKind = PayloadKind.JsonValues,
                Payload = Encoding.UTF8.GetBytes(json),
                Credential = token,
                CredentialKind = CredentialKind.Token,
            }).AsTask());
        }

        Task.WhenAll(appends).GetAwaiter().GetResult();
        _system = ActorSystem.Create("bench", ConfigurationFactory.ParseString("akka.loglevel = WARNING"));
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _system.Terminate().GetAwaiter().GetResult();
        _log.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _influx.ExecuteAsync($"DROP DATABASE {InfluxQl.QuoteIdentifier(_influx.Options.Database)}").GetAwaiter().GetResult();
        _influx.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Benchmark(OperationsPerInvoke = Records)]
    public Task EndToEnd() => RunAsync(new InMemoryVerdicts());

    [Benchmark(OperationsPerInvoke = Records)]
    public Task WithoutInfluxDb() => RunAsync(new DropEverything());

    private async Task RunAsync(IRecordVerdicts verdicts)
    {
        var pipeline = new ProcessingPipeline(_log, _influx, _signer, _registry, verdicts, new ProcessingOptions { ConsumerGroup = "bench-" + Guid.NewGuid().ToString("N"), ReadAhead = 16_384 }, _system);
        pipeline.Start();
        while (pipeline.Progress.RecordsCommitted < Records)
        {
            await Task.Delay(5);
        }

        await pipeline.StopAsync();
        if (pipeline.Metrics.DeadLettered > 0)
        {
            throw new InvalidOperationException($"{pipeline.Metrics.DeadLettered} records were dead-lettered");
        }
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

    /// <summary>Every record past authorization is a duplicate: measures log, stages and commits without writes.</summary>
    private sealed class DropEverything : IRecordVerdicts, IPartitionState
    {
        public IPartitionState Open(int partition) => this;

        public Verdict Admit(in RawRecord record, LogPosition position) => Verdict.Duplicate;

        public Verdict Decode(in RawRecord record, RecordPoints points) => Verdict.Accept;

        public void Written(LogPosition upTo)
        {
        }

        public void Dispose()
        {
        }
    }
}
