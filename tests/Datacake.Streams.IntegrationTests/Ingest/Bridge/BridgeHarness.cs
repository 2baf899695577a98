using System.Globalization;
using Datacake.Streams.Access;
using Datacake.Streams.Ids;
using Datacake.Streams.Ingest.Bridge;
using Datacake.Streams.Ingest.Publishing;
using Datacake.Streams.IntegrationTests.Core.RecordLog;
using Datacake.Streams.IntegrationTests.Log.Faster;
using Datacake.Streams.IntegrationTests.Log.Kafka;
using Datacake.Streams.IntegrationTests.Services;
using Datacake.Streams.RecordLog.Faster;
using Datacake.Streams.RecordLog;
using Datacake.Streams.Records;

namespace Datacake.Streams.IntegrationTests.Ingest.Bridge;

/// <summary>
/// What a bridge test stands on: the real Mosquitto of <c>ops/services.sh</c> (TLS, password), a real FasterLog on disk,
/// a registry view with one workspace, two devices and the bridge's token, and a topic prefix and client id no other
/// test uses (the broker is shared).
/// </summary>
internal sealed class BridgeHarness : IAsyncDisposable
{
    // One mosquitto_pub run or one reconnect takes well under a second here; 30 s absorbs a loaded 2-core machine.
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    public const string WorkspaceId = "ws-harness-secret-workspace";

    private readonly TempLogDirectory _directory = new();
    private readonly List<MqttBridge> _bridges = [];
    private readonly HashSet<string> _clientIds = new(StringComparer.Ordinal);
    private IRecordLogConsumer? _consumer;

    private BridgeHarness(string unique)
    {
        Unique = unique;
        Prefix = $"dcs-test/bridge-{unique}";
        Registry.Apply(new WorkspaceUpserted(new WorkspaceEntry(WorkspaceId, null)));
        Registry.Apply(new DeviceUpserted(new DeviceEntry { Id = Sensor, WorkspaceId = WorkspaceId, Serial = "SN-1" }));
        Registry.Apply(new DeviceUpserted(new DeviceEntry { Id = Other, WorkspaceId = WorkspaceId, Serial = "SN-2" }));
        Registry.Apply(new TokenUpserted(new TokenGrant { TokenId = "bridge-token", Hash = Token.Hash, WorkspaceId = WorkspaceId, Role = WorkspaceRole.Editor }));
    }

    public ServiceEndpoints Endpoints { get; } = ServiceEndpoints.Current;

    public string Unique { get; }

    public string Prefix { get; }

    public string LogDirectory => _directory.Path;

    public RegistryView Registry { get; } = new();

    public AccessToken Token { get; } = AccessToken.New();

    public DeviceId Sensor { get; } = DeviceId.New();

    public DeviceId Other { get; } = DeviceId.New();

    public AdapterSigner Signer { get; } = new(AdapterKeyring.CreateRandom());

    public CapturingLogger<MqttBridge> Logger { get; } = new();

    public FasterRecordLog Log { get; private set; } = null!;

    /// <summary>A definition for the shared broker: TLS with its CA file and the password, template <c>&lt;prefix&gt;/{serial}/up</c>.</summary>
    public BridgeDefinition Definition => new()
    {
        Name = "test-" + Unique[..8],
        Host = Endpoints.MqttHost,
        Port = Endpoints.MqttTlsPort,
        CaFile = Endpoints.MqttCaFile,
        Username = Endpoints.MqttUser,
        Password = Endpoints.MqttPassword,
        ClientId = "dcs-bridge-test-" + Unique,
        Mapping = new BridgeMapping { Topic = Prefix + "/{serial}/up" },
        Token = Token.Secret,

        // Short, so that the sessions tests leave on the shared broker expire soon.
        SessionExpiry = TimeSpan.FromMinutes(2),
        ReconnectDelay = TimeSpan.FromMilliseconds(100),
        MaxReconnectDelay = TimeSpan.FromSeconds(1),
    };

    /// <param name="beforeOpen">Runs on the empty log directory before the log opens (to make a topic unopenable).</param>
    public static async Task<BridgeHarness> CreateAsync(Action<string>? beforeOpen = null)
    {
        var harness = new BridgeHarness(Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(harness._directory.Path);
        beforeOpen?.Invoke(harness._directory.Path);
        harness.Log = await FasterRecordLog.OpenAsync(new FasterRecordLogOptions { DataDirectory = harness._directory.Path, Partitions = 1 });
        return harness;
    }

    /// <summary>Client ids whose broker session <see cref="DisposeAsync"/> discards (tests that build bridges themselves add theirs).</summary>
    public ISet<string> ClientIds => _clientIds;

    /// <summary>Starts a bridge and waits until it has subscribed (so that the broker holds a session for it).</summary>
    public async Task<MqttBridge> StartAsync(BridgeDefinition? definition = null)
    {
        definition ??= Definition;
        for (var i = 0; i < definition.Connections; i++)
        {
            _clientIds.Add(definition.ClientIdOf(i));
        }

        var bridge = new MqttBridge(definition, new RawRecordAppender(Log, Signer), Registry, TimeProvider.System, Logger);
        _bridges.Add(bridge);
        bridge.Start();
        await Until(() => bridge.State == BridgeState.Subscribed, $"bridge subscribed (state {bridge.State}); log:\n{Logger.Text}");
        return bridge;
    }

    public async Task StopAsync(MqttBridge bridge)
    {
        _bridges.Remove(bridge);
        await bridge.DisposeAsync();
    }

    /// <summary>Publishes with the real mosquitto_pub over TLS with the CA file and the password, QoS 1 unless told.</summary>
    public async Task PublishAsync(string topic, string payload, int qos = 1)
    {
        string[] arguments =
        [
            "-h", Endpoints.MqttHost, "-p", Endpoints.MqttTlsPort.ToString(CultureInfo.InvariantCulture),
            "--cafile", Endpoints.MqttCaFile, "-u", Endpoints.MqttUser, "-P", Endpoints.MqttPassword,
            "-i", $"dcs-pub-{Guid.NewGuid():N}"[..23], "-q", qos.ToString(CultureInfo.InvariantCulture), "-t", topic, "-m", payload,
        ];
        var published = await ExternalCommand.RunAsync("mosquitto_pub", Deadline, arguments);
        Assert.True(published.ExitCode == 0, $"mosquitto_pub failed ({published.ExitCode}): {published.Error}");
    }

    /// <summary>Publishes a payload of <paramref name="bytes"/> bytes from a file (<c>mosquitto_pub -f</c>: too large for an argument).</summary>
    public async Task PublishLargeAsync(string topic, int bytes)
    {
        var file = Path.Combine(_directory.Path, $"payload-{bytes}.bin");
        await File.WriteAllBytesAsync(file, Enumerable.Repeat((byte)'x', bytes).ToArray());
        string[] arguments =
        [
            "-h", Endpoints.MqttHost, "-p", Endpoints.MqttTlsPort.ToString(CultureInfo.InvariantCulture),
            "--cafile", Endpoints.MqttCaFile, "-u", Endpoints.MqttUser, "-P", Endpoints.MqttPassword,
            "-i", $"dcs-pub-{Guid.NewGuid():N}"[..23], "-q", "1", "-t", topic, "-f", file,
        ];
        var published = await ExternalCommand.RunAsync("mosquitto_pub", Deadline, arguments);
        Assert.True(published.ExitCode == 0, $"mosquitto_pub failed ({published.ExitCode}): {published.Error}");
    }

    /// <summary>Waits for <paramref name="count"/> records on dcs.raw (from the start of the log), decoded and signature-checked.</summary>
    public async Task<IReadOnlyList<(RawRecord Record, byte[] Bytes)>> ReadRawAsync(int count, List<(RawRecord Record, byte[] Bytes)>? into = null)
    {
        var records = into ?? [];
        _consumer ??= Log.Subscribe(LogTopics.Raw, "bridge-test-" + Unique[..8]);
        var until = DateTime.UtcNow + Deadline;
        while (records.Count < count)
        {
            Assert.True(DateTime.UtcNow < until, $"{records.Count} of {count} records within {Deadline}; log:\n{Logger.Text}");
            if (_consumer.Consume(TimeSpan.FromMilliseconds(50)) is { } read)
            {
                var bytes = read.Value.ToArray();
                Assert.True(RawRecordCodec.TryDecode(bytes, out var record, out var error), $"undecodable record: {error}");
                Assert.True(Signer.Verify(bytes, record), "the adapter signature does not verify");
                records.Add((record, bytes));
            }
            else
            {
                await Task.Yield();
            }
        }

        return records;
    }

    /// <summary>True when nothing more than what was read arrives within a short look (no sleep: a bounded consume).</summary>
    public bool NothingMore() => _consumer?.Consume(TimeSpan.FromMilliseconds(300)) is null;

    public static async Task Until(Func<bool> condition, string what)
    {
        var until = DateTime.UtcNow + Deadline;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < until, $"not within {Deadline}: {what}");
            await Task.Delay(20);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var bridge in _bridges)
        {
            await bridge.DisposeAsync();
        }

        // A clean-session connect under the bridges' client id discards the persistent session they left on the shared
        // broker (an MQTT 3.1.1 one would otherwise stay there for good).
        foreach (var clientId in _clientIds)
        {
            string[] arguments =
            [
                "-h", Endpoints.MqttHost, "-p", Endpoints.MqttTlsPort.ToString(CultureInfo.InvariantCulture),
                "--cafile", Endpoints.MqttCaFile, "-u", Endpoints.MqttUser, "-P", Endpoints.MqttPassword,
                "-i", clientId, "-t", Prefix + "/cleanup", "-E",
            ];
            await ExternalCommand.RunAsync("mosquitto_sub", Deadline, arguments);
        }

        _consumer?.Dispose();
        if (Log is not null)
        {
            await Log.DisposeAsync();
        }

        _directory.Dispose();
    }
}
