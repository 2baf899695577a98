using System.Net;
using System.Net.Sockets;
using Datacake.Streams.Access;
using Datacake.Streams.Hosting;
using Datacake.Streams.Ids;
using Datacake.Streams.Ingest;
using Datacake.Streams.Ingest.Http;
using Datacake.Streams.Ingest.Mqtt;
using Datacake.Streams.RecordLog;
using Datacake.Streams.RecordLog.Faster;
using Datacake.Streams.Records;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Datacake.Streams.IntegrationTests.Services;

namespace Datacake.Streams.IntegrationTests.Ingest;

/// <summary>
/// Device ingest on real Kestrel (loopback, free port), the real MQTTnet broker (plain and TLS listeners on free
/// ports, the host's self-signed certificate) and a real FasterLog on disk, with the registry view filled directly
/// (as the feed would from dcs.registry). One workspace, one device, tokens of each kind.
/// </summary>
internal sealed class IngestTestHost : IAsyncDisposable
{
    public const string WorkspaceId = "ws_ingest_test_workspace";

    private readonly WebApplication _app;

    private IngestTestHost(WebApplication app, FaultInjectingRecordLog log, RegistryView registry, string dataDirectory, string certificatePem)
    {
        _app = app;
        Log = log;
        Registry = registry;
        DataDirectory = dataDirectory;
        CertificatePem = certificatePem;
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Http = new HttpClient { BaseAddress = new Uri(address), Timeout = TimeSpan.FromSeconds(30) };
        Mqtt = app.Services.GetRequiredService<MqttIngestServer>();
    }

    public FaultInjectingRecordLog Log { get; }

    public RegistryView Registry { get; }

    public string DataDirectory { get; }

    /// <summary>The self-signed certificate of the MQTTS listener, as PEM (for mosquitto_pub --cafile).</summary>
    public string CertificatePem { get; }

    public HttpClient Http { get; }

    public MqttIngestServer Mqtt { get; }

    public DeviceId Device { get; } = DeviceId.New();

    public DeviceId OtherDevice { get; } = DeviceId.New();

    public DeviceId ReadOnlyDevice { get; } = DeviceId.New();

    public DeviceId DeletedDevice { get; } = DeviceId.New();

    /// <summary>May write <see cref="Device"/>, read <see cref="ReadOnlyDevice"/>, and nothing of <see cref="OtherDevice"/>.</summary>
    public AccessToken DeviceToken { get; } = AccessToken.New();

    public static async Task<IngestTestHost> StartAsync(
        string dataDirectory,
        IDictionary<string, string?>? settings = null,
        Func<IRecordLog, FaultInjectingRecordLog>? wrap = null)
    {
        Directory.CreateDirectory(dataDirectory);
        var inner = await FasterRecordLog.OpenAsync(new FasterRecordLogOptions { DataDirectory = Path.Combine(dataDirectory, "log") });
        var log = (wrap ?? (l => new FaultInjectingRecordLog(l)))(inner);
        var streams = new StreamsOptions { DataDirectory = dataDirectory };

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        var configuration = new Dictionary<string, string?>
        {
            ["Ingest:Mqtt:PlainEndpoint"] = $"127.0.0.1:{TestPorts.Free()}",
            ["Ingest:Mqtt:TlsEndpoint"] = $"127.0.0.1:{TestPorts.Free()}",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            configuration[key] = value;
        }

        builder.Configuration.AddInMemoryCollection(configuration);
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var registry = new RegistryView();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(registry);
        builder.Services.AddSingleton<IRecordLog>(log);
        builder.Services.AddSingleton(new AdapterKeyring(new Dictionary<uint, byte[]> { [1] = new byte[AdapterKeyring.KeyLength] }, 1));
        builder.Services.AddSingleton<AdapterSigner>();
        builder.Services.AddProblemDetails();
        builder.Services.AddIngest(() => ServerCertificate.Load(streams));

        var app = builder.Build();
        app.MapDeviceIngestApi();
        await app.StartAsync();
        var pem = await File.ReadAllTextAsync(Path.Combine(streams.FullDataDirectory, "certs", "self-signed.crt"));
        var host = new IngestTestHost(app, log, registry, dataDirectory, pem);
        host.FillRegistry();
        return host;
    }

    /// <summary>A token with the given scope, registered now.</summary>
    public AccessToken AddToken(Func<TokenGrant, TokenGrant>? shape = null, string? tokenId = null)
    {
        var token = AccessToken.New();
        var grant = new TokenGrant { TokenId = tokenId ?? "tok_" + Guid.NewGuid().ToString("N"), Hash = token.Hash, WorkspaceId = WorkspaceId };
        Registry.Apply(new TokenUpserted(shape is null ? grant : shape(grant)));
        return token;
    }

    public void Revoke(AccessToken token)
    {
        var grant = Registry.Tokens.Single(t => t.Hash == token.Hash);
        Registry.Apply(new TokenUpserted(new TokenGrant
        {
            TokenId = grant.TokenId, Hash = grant.Hash, WorkspaceId = grant.WorkspaceId, Role = grant.Role, Devices = grant.Devices,
            RevokedAt = DateTimeOffset.UtcNow,
        }));
    }

    /// <summary>Every raw record in the log so far (a fresh consumer group reads from the start).</summary>
    public List<(RawRecord Record, byte[] Bytes)> ReadRaw() => ReadRaw(Log.Inner);

    public static List<(RawRecord Record, byte[] Bytes)> ReadRaw(IRecordLog log)
    {
        using var consumer = log.Subscribe(LogTopics.Raw, "test-" + Guid.NewGuid().ToString("N"));
        var records = new List<(RawRecord, byte[])>();

        // The appends a test waits for completed before their acknowledgement: an idle poll means the end.
        while (consumer.Consume(TimeSpan.FromMilliseconds(200)) is { } next)
        {
            var bytes = next.Value.ToArray();
            Assert.True(RawRecordCodec.TryDecode(bytes, out var record, out var error), $"undecodable raw record: {error}");
            records.Add((record, bytes));
        }

        return records;
    }

    /// <summary>Stops abruptly: in-flight requests are cut, as a killed process would cut them.</summary>
    public async Task KillAsync()
    {
        using var now = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        try
        {
            await _app.StopAsync(now.Token);
        }
        catch (OperationCanceledException)
        {
        }

        Http.Dispose();
        await _app.DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        await Log.DisposeAsync();
    }


    private void FillRegistry()
    {
        Registry.Apply(new WorkspaceUpserted(new WorkspaceEntry(WorkspaceId, null)));
        foreach (var device in new[] { Device, OtherDevice, ReadOnlyDevice })
        {
            Registry.Apply(new DeviceUpserted(new DeviceEntry { Id = device, WorkspaceId = WorkspaceId }));
        }

        Registry.Apply(new DeviceUpserted(new DeviceEntry { Id = DeletedDevice, WorkspaceId = WorkspaceId, DeletedAt = DateTimeOffset.UtcNow.AddMinutes(-1) }));
        Registry.Apply(new TokenUpserted(new TokenGrant
        {
            TokenId = "tok_device",
            Hash = DeviceToken.Hash,
            Devices = [new DeviceGrant(Device, DeviceAccess.ReadWrite), new DeviceGrant(ReadOnlyDevice, DeviceAccess.Read), new DeviceGrant(DeletedDevice, DeviceAccess.ReadWrite)],
            WorkspaceId = WorkspaceId,
        }));
    }
}
