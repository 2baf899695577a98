using System.Text;
using Akka.Actor;
using Akka.Configuration;
using Datacake.Streams.Access;
using Datacake.Streams.Ids;
using Datacake.Streams.Influx.Client;
using Datacake.Streams.Influx.Querying;
using Datacake.Streams.Ingest.Publishing;
using Datacake.Streams.IntegrationTests.Core.RecordLog;
using Datacake.Streams.IntegrationTests.Log.Faster;
using Datacake.Streams.IntegrationTests.Log.Kafka;
using Datacake.Streams.IntegrationTests.Services;
using Datacake.Streams.Processing.Hosting;
using Datacake.Streams.Processing.Pipeline;
using Datacake.Streams.Processing.Values;
using Datacake.Streams.RecordLog.Faster;
using Datacake.Streams.RecordLog;
using Datacake.Streams.Records;
using Datacake.Streams.TestSupport;
using Datacake.Streams.Payloads.DeadLetters;

namespace Datacake.Streams.IntegrationTests.Processing;

/// <summary>
/// One test's world: a FasterLog on disk, a fresh database on the real influxd (retention policies <c>raw</c>,
/// the default, and <c>meta</c>), a registry view with one workspace, adapter keys, and pipelines on a shared
/// ActorSystem.
/// </summary>
internal sealed class ProcessingHarness : IAsyncDisposable
{
    public const string Workspace = "ws_test";

    private readonly TempLogDirectory _logDirectory;
    private readonly List<ProcessingPipeline> _pipelines = [];
    private readonly List<InfluxClient> _clients = [];

    private ProcessingHarness(TempLogDirectory directory, FasterRecordLog log, InfluxOptions influx, InfluxClient admin, ActorSystem system)
    {
        _logDirectory = directory;
        Log = log;
        InfluxOptions = influx;
        Influx = admin;
        System = system;
        Signer = new AdapterSigner(AdapterKeyring.CreateRandom());
        Appender = new RawRecordAppender(log, Signer);
        Registry.Apply(new WorkspaceUpserted(new WorkspaceEntry(Workspace, null)));
    }

    public FasterRecordLog Log { get; }

    public InfluxOptions InfluxOptions { get; }

    /// <summary>A client on the test database for queries and set-up.</summary>
    public InfluxClient Influx { get; }

    public string Database => InfluxOptions.Database;

    public ActorSystem System { get; }

    public AdapterSigner Signer { get; }

    public RawRecordAppender Appender { get; }

    public RegistryView Registry { get; } = new();

    public static async Task<ProcessingHarness> StartAsync(int partitions = 4, bool createRetentionPolicies = true)
    {
        var endpoints = ServiceEndpoints.Current;
        var options = new InfluxOptions
        {
            Url = new Uri(endpoints.InfluxUrl),
            Database = $"test_{Guid.NewGuid():N}",
            User = endpoints.InfluxUser,
            Password = endpoints.InfluxPassword,
            MaxRetries = 0,
            RequestTimeout = TimeSpan.FromSeconds(20),
        };
        var admin = new InfluxClient(options);
        try
        {
            await admin.PingAsync();
        }
        catch (InfluxException e)
        {
            throw new InvalidOperationException($"influxd at {options.Url} is not answering ({e.Message}): {ServiceEndpoints.StartHint}", e);
        }

        var db = InfluxQl.QuoteIdentifier(options.Database);
        await admin.ExecuteAsync($"CREATE DATABASE {db}");
        if (createRetentionPolicies)
        {
            await CreateRetentionPoliciesAsync(admin, options.Database);
        }

        var directory = new TempLogDirectory();
        var log = await FasterRecordLog.OpenAsync(new FasterRecordLogOptions { DataDirectory = directory.Path, Partitions = partitions });
        var system = ActorSystem.Create("test-" + Guid.NewGuid().ToString("N")[..8], ConfigurationFactory.ParseString("akka.loglevel = WARNING"));
        return new ProcessingHarness(directory, log, options, admin, system);
    }

    public static async Task CreateRetentionPoliciesAsync(InfluxClient client, string database)
    {
        var db = InfluxQl.QuoteIdentifier(database);
        await client.ExecuteAsync($"CREATE RETENTION POLICY \"raw\" ON {db} DURATION 30d REPLICATION 1 DEFAULT");
        await client.ExecuteAsync($"CREATE RETENTION POLICY \"meta\" ON {db} DURATION 14d REPLICATION 1");
    }

    /// <summary>A device of the workspace and a device token that may write it.</summary>
    public (DeviceId Device, TokenHash Token) AddDevice(DateTimeOffset? tokenRevokedAt = null)
    {
        var device = DeviceId.New();
        Registry.Apply(new DeviceUpserted(new DeviceEntry { Id = device, WorkspaceId = Workspace }));
        var token = AccessToken.New();
        var hash = TokenHash.Of(token.Secret);
        Registry.Apply(new TokenUpserted(new TokenGrant
        {
            TokenId = "tok_" + Guid.NewGuid().ToString("N"),
            Hash = hash,
            Devices = [new DeviceGrant(device, DeviceAccess.ReadWrite)],
            RevokedAt = tokenRevokedAt,
        }));
        return (device, hash);
    }

    public static RawRecord Json(DeviceId device, TokenHash token, string json, DateTimeOffset receivedAt, string? messageId = null, long? deviceTimeNs = null) => new()
    {
        Version = RawRecord.CurrentVersion,
        DeviceId = device,
        Source = SourceKind.Http,
        ReceivedAtUnixNs = (receivedAt - DateTimeOffset.UnixEpoch).Ticks * 100,
        DeviceTimeUnixNs = deviceTimeNs,
        MessageId = messageId,
        PayloadKind = PayloadKind.JsonValues,
        Payload = Encoding.UTF8.GetBytes(json),
        Credential = token,
        CredentialKind = CredentialKind.Token,
    };

    public async Task AppendAsync(RawRecord record)
    {
        var outcome = await Appender.AppendAsync(record);
        Assert.Equal(AppendOutcome.Durable, outcome);
    }

    public InfluxClient Client(Func<InfluxOptions, InfluxOptions>? change = null)
    {
        var client = new InfluxClient(change is null ? InfluxOptions : change(InfluxOptions));
        _clients.Add(client);
        return client;
    }

    public static ProcessingOptions FastOptions => new()
    {
        BatchWindow = TimeSpan.FromMilliseconds(20),
        WriteRetry = TimeSpan.FromMilliseconds(20),
        WriteRetryMaxDelay = TimeSpan.FromMilliseconds(100),
        MetaMaxDelay = TimeSpan.FromMilliseconds(200),
        DrainTimeout = TimeSpan.FromSeconds(10),
    };

    public ProcessingPipeline StartPipeline(ProcessingOptions? options = null, InfluxClient? influx = null, IRecordVerdicts? verdicts = null)
    {
        var pipeline = CreatePipeline(options, influx, verdicts);
        pipeline.Start();
        return pipeline;
    }

    /// <summary>A pipeline not yet started (e.g. for a supervisor to start); killed with the harness.</summary>
    public ProcessingPipeline CreatePipeline(ProcessingOptions? options = null, InfluxClient? influx = null, IRecordVerdicts? verdicts = null, ProcessingMetrics? metrics = null, PoisonRecords? poison = null)
    {
        var pipeline = new ProcessingPipeline(Log, influx ?? Influx, Signer, Registry, verdicts ?? new InMemoryVerdicts(), options ?? FastOptions, System, metrics: metrics, poison: poison);
        lock (_pipelines)
        {
            _pipelines.Add(pipeline);
        }

        return pipeline;
    }

    /// <summary>Polls <paramref name="condition"/> every 20 ms until it holds; fails with <paramref name="what"/> after the deadline.</summary>
    public static async Task WaitUntilAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"timed out waiting until {what}");
            }

            await Task.Delay(20);
        }
    }

    public static Task WaitUntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null) =>
        WaitUntilAsync(() => Task.FromResult(condition()), what, timeout);

    /// <summary>Rows of the device's measurement in <paramref name="policy"/>, oldest first.</summary>
    public async Task<InfluxSeries?> ValuesOfAsync(DeviceId device, string policy = "raw")
    {
        var result = await Influx.QueryAsync(
            $"SELECT * FROM {InfluxQl.QuoteIdentifier(policy)}.{InfluxQl.QuoteIdentifier(device.ToString())} WHERE \"device\" = {InfluxQl.QuoteString(device.ToString())} ORDER BY time ASC");
        return result.Statements.SelectMany(s => s.Series).FirstOrDefault();
    }

    public async Task<int> CountPointsAsync(string policy = "raw")
    {
        var result = await Influx.QueryAsync($"SELECT * FROM {InfluxQl.QuoteIdentifier(policy)}./^dev_/");
        return result.Statements.SelectMany(s => s.Series).Sum(s => s.Values.Count);
    }

    /// <summary>Every dead letter on the log so far (read by a fresh consumer group).</summary>
    public List<(ReadOnlyMemory<byte> Key, DeadLetterRecord Letter)> ReadDeadLetters()
    {
        var letters = new List<(ReadOnlyMemory<byte>, DeadLetterRecord)>();
        using var consumer = Log.Subscribe(LogTopics.DeadLetter, "reader-" + Guid.NewGuid().ToString("N"));
        while (consumer.Consume(TimeSpan.FromMilliseconds(200)) is { } record)
        {
            Assert.True(DeadLetterCodec.TryDecode(record.Value.Span, out var letter), "a dead letter that does not decode");
            letters.Add((record.Key, letter!));
        }

        return letters;
    }

    /// <summary>Records of <c>dcs.raw</c> not yet committed by <paramref name="group"/> (read by joining it after the pipelines left).</summary>
    public int UncommittedRecords(string group)
    {
        using var consumer = Log.Subscribe(LogTopics.Raw, group);
        var count = 0;
        while (consumer.Consume(TimeSpan.FromMilliseconds(200)) is not null)
        {
            count++;
        }

        return count;
    }

    public async ValueTask DisposeAsync()
    {
        ProcessingPipeline[] pipelines;
        lock (_pipelines)
        {
            pipelines = [.. _pipelines];
        }

        foreach (var pipeline in pipelines)
        {
            pipeline.Kill();
        }

        await System.Terminate();
        System.Dispose();
        await Log.DisposeAsync();
        try
        {
            await Influx.ExecuteAsync($"DROP DATABASE {InfluxQl.QuoteIdentifier(Database)}");
        }
        finally
        {
            Influx.Dispose();
            foreach (var client in _clients)
            {
                client.Dispose();
            }

            _logDirectory.Dispose();
        }
    }
}
