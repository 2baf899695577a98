using System.Globalization;
using System.Net.Sockets;
using System.Net;
using System.Text.RegularExpressions;
using Datacake.Streams.Access;
using Datacake.Streams.IntegrationTests.Api.Access;
using Datacake.Streams.IntegrationTests.Host.Hosting;
using Datacake.Streams.IntegrationTests.Services;

namespace Datacake.Streams.IntegrationTests.EndToEnd;

/// <summary>The end-to-end tests share one host (and so one data folder) and run one after another.</summary>
[CollectionDefinition(Name)]
public sealed class EndToEndCollection : ICollectionFixture<EndToEndHost>
{
    public const string Name = "end-to-end";
}

/// <summary>
/// The real executable with every role on its embedded log and the shared influxd, as one operator would run it:
/// HTTPS and MQTTS with the self-signed certificate of its data folder, plain MQTT on loopback, and a bridge to the
/// shared Mosquitto. Restartable on the same data folder (same ports, same database), also with fewer roles.
/// </summary>
/// <remarks>
/// Start-up: the host runs once to create the owner, the workspace and the bridge's workspace token, then again with
/// the bridge configured (a bridge's token comes from configuration, and a token exists only once the API made it).
/// Dead letters are logged at Debug by the processor's batch writer: the tests read them from the host's output.
/// </remarks>
public sealed class EndToEndHost : IAsyncLifetime
{
    private static readonly TimeSpan _readyDeadline = TimeSpan.FromSeconds(90);

    private readonly int _mqttPort = TestPorts.Free();
    private readonly int _mqttTlsPort = TestPorts.Free();
    private readonly int _httpsPort = TestPorts.Free();
    private string? _bridgeToken;
    private bool _running;

    public string OperatorToken { get; } = AccessToken.New().Secret;

    public string Database { get; } = "e2e_" + Guid.NewGuid().ToString("N")[..12];

    public string DataDirectory { get; } = Directory.CreateTempSubdirectory("dcs-e2e-").FullName;

    /// <summary>Topic prefix of the bridge on the shared Mosquitto: <c>{prefix}/{deviceId}/up</c>.</summary>
    public string BridgePrefix { get; } = "dcs-e2e/" + Guid.NewGuid().ToString("N")[..12];

    public HostProcess Host { get; private set; } = null!;

    public ApiClient Api { get; private set; } = null!;

    public InfluxProbe Influx { get; private set; } = null!;

    /// <summary>A user's token; its home workspace holds every device of the tests.</summary>
    public string OwnerToken { get; private set; } = null!;

    public string WorkspaceId { get; private set; } = null!;

    public int MqttPort => _mqttPort;

    public int MqttTlsPort => _mqttTlsPort;

    /// <summary>The self-signed certificate (PEM) the host made on first start: the CA file of MQTTS clients.</summary>
    public string CertificateFile => Path.Combine(DataDirectory, "certs", "self-signed.crt");

    public async Task InitializeAsync()
    {
        Influx = new InfluxProbe(Database);
        await StartAsync();
        OwnerToken = (await Api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, "/v1/users", OperatorToken, new { email = $"owner-{Guid.NewGuid():N}@example.test" })).Str("token");
        WorkspaceId = (await Api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/v1/me", OwnerToken)).Str("homeWorkspaceId");
        _bridgeToken = (await Api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/workspaces/{WorkspaceId}/tokens", OwnerToken,
            new { name = "bridge", role = "editor" })).Str("token");
        await RestartAsync();
    }

    public async Task DisposeAsync()
    {
        await StopAsync();

        Directory.Delete(DataDirectory, recursive: true);
        await Influx.DropDatabaseAsync();
    }

    /// <summary>Kills the running host (SIGKILL, as a crash) and starts it again on the same data folder.</summary>
    /// <param name="environment">Variables to set for this start only (e.g. an InfluxDB URL nobody answers).</param>
    /// <param name="waitUntilReady">False when /readyz cannot answer 200 (InfluxDB unreachable): waits for /healthz only.</param>
    public async Task RestartAsync(IDictionary<string, string>? environment = null, bool waitUntilReady = true)
    {
        await StopAsync();
        await StartAsync(environment, waitUntilReady);
    }

    /// <summary>Kills the host; the data folder stays.</summary>
    public async Task StopAsync()
    {
        if (Host is not null && _running)
        {
            _running = false;
            await Host.DisposeAsync();
        }
    }

    /// <summary>The embedded record log's folder: the tests open it only while the host is stopped (it holds it exclusively).</summary>
    public string LogDirectory => Path.Combine(DataDirectory, "log");

    /// <summary>The node's adapter HMAC key, made on first start.</summary>
    public string AdapterKeyFile => Path.Combine(DataDirectory, "secrets", "adapter.key");

    /// <summary>A device of the workspace (with the identities given) and a device token that may write it.</summary>
    public async Task<TestDevice> NewDeviceAsync(string name, string? devEui = null, string? particleId = null, string? decoder = null)
    {
        var id = (await Api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/workspaces/{WorkspaceId}/devices", OwnerToken,
            new { name, devEui, particleId })).Str("id");
        if (decoder is not null)
        {
            await Api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Patch, $"/v1/devices/{id}", OwnerToken, new { decoder });
        }

        var token = await Api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/devices/{id}/tokens", OwnerToken);
        return new TestDevice(id, token.Str("id"), token.Str("token"), devEui);
    }

    /// <summary>
    /// A device of a second tenant: a new user (made by the operator) with its own home workspace, the device in it and
    /// a device token that may write it. The owner's token can do nothing in that workspace, and the other way round.
    /// </summary>
    public async Task<TestDevice> NewOtherTenantsDeviceAsync(string name)
    {
        var user = (await Api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, "/v1/users", OperatorToken, new { email = $"tenant-{Guid.NewGuid():N}@example.test" })).Str("token");
        var workspace = (await Api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/v1/me", user)).Str("homeWorkspaceId");
        Assert.NotEqual(WorkspaceId, workspace);
        var id = (await Api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/workspaces/{workspace}/devices", user, new { name })).Str("id");
        var token = await Api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/devices/{id}/tokens", user);
        return new TestDevice(id, token.Str("id"), token.Str("token"));
    }

    /// <summary>A webhook of <paramref name="kind"/> bound to <paramref name="devices"/>; signed ones come with a Standard Webhooks secret.</summary>
    public async Task<TestWebhook> NewWebhookAsync(string kind, bool signed, params TestDevice[] devices)
    {
        var created = await Api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/workspaces/{WorkspaceId}/webhooks", OwnerToken,
            new { kind, devices = devices.Select(d => d.Id).ToArray(), signed });
        var secret = created.Json.TryGetProperty("secret", out var s) ? s.GetString() : null;
        return new TestWebhook(created.Str("id"), created.Str("token"), secret);
    }

    /// <summary>The processor's counters as /readyz reports them (this process only: they start at 0 on every start).</summary>
    public async Task<ProcessingCounters> CountersAsync()
    {
        using var response = await Host.GetAsOperatorAsync("/readyz");
        var body = await response.Content.ReadAsStringAsync();
        var match = Regex.Match(body, @"records written (\d+), duplicates (\d+), dead-lettered (\d+)");
        Assert.True(match.Success, $"/readyz does not report processing counters: {body}");
        return new ProcessingCounters(
            long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture),
            long.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture),
            long.Parse(match.Groups[3].Value, CultureInfo.InvariantCulture));
    }

    /// <summary>Waits until the processor has dropped at least <paramref name="duplicates"/> duplicates since it started.</summary>
    public async Task<ProcessingCounters> WaitForDuplicatesAsync(long duplicates) =>
        await Until.Async(CountersAsync, c => c.Duplicates >= duplicates, $"{duplicates} duplicates dropped");

    /// <summary>The dead letters the running host logged for <paramref name="device"/>: (reason, detail) in order.</summary>
    public IReadOnlyList<(string Reason, string Message)> DeadLettersOf(string device) => DeadLettersIn(Host.Output, device);

    /// <summary>The dead letters a host's <paramref name="output"/> logged (BatchWriter at Debug) for <paramref name="device"/>.</summary>
    public static IReadOnlyList<(string Reason, string Message)> DeadLettersIn(string output, string device)
    {
        var letters = new List<(string, string)>();
        foreach (var line in output.Split('\n'))
        {
            if (!line.Contains("dead-lettered as", StringComparison.Ordinal) || !line.Contains(device, StringComparison.Ordinal))
            {
                continue;
            }

            var match = Regex.Match(line, @"dead-lettered as ([a-z_]+): ([^""]*)");
            if (match.Success)
            {
                letters.Add((match.Groups[1].Value, match.Groups[2].Value));
            }
        }

        return letters;
    }

    /// <summary>Waits for the <paramref name="count"/>-th dead letter of <paramref name="device"/> in the host's log.</summary>
    public async Task<IReadOnlyList<(string Reason, string Message)>> WaitForDeadLettersAsync(string device, int count) =>
        await Until.Async(() => Task.FromResult(DeadLettersOf(device)), l => l.Count >= count, $"{count} dead letter(s) of {device} in the host's log");

    private async Task StartAsync(IDictionary<string, string>? overrides = null, bool waitUntilReady = true)
    {
        var environment = new Dictionary<string, string>
        {
            ["DCS_OPERATOR_TOKEN"] = OperatorToken,
            ["DCS_INFLUX_DATABASE"] = Database,
            ["DCS_HTTPS_URL"] = $"https://127.0.0.1:{_httpsPort}",
            ["Ingest__Mqtt__PlainEndpoint"] = $"127.0.0.1:{_mqttPort}",
            ["Ingest__Mqtt__TlsEndpoint"] = $"127.0.0.1:{_mqttTlsPort}",
            ["Logging__LogLevel__Datacake.Streams.Processing.Sink.BatchWriter"] = "Debug",
        };
        if (_bridgeToken is not null)
        {
            var services = ServiceEndpoints.Current;
            environment["Ingest__Bridges__0__Name"] = "e2e";
            environment["Ingest__Bridges__0__Host"] = services.MqttHost;
            environment["Ingest__Bridges__0__Port"] = services.MqttTlsPort.ToString(CultureInfo.InvariantCulture);
            environment["Ingest__Bridges__0__CaFile"] = services.MqttCaFile;
            environment["Ingest__Bridges__0__Username"] = services.MqttUser;
            environment["Ingest__Bridges__0__Password"] = services.MqttPassword;
            environment["Ingest__Bridges__0__ClientId"] = "dcs-e2e-" + BridgePrefix[^12..];
            environment["Ingest__Bridges__0__Mapping__Topic"] = BridgePrefix + "/{deviceId}/up";
            environment["Ingest__Bridges__0__Token"] = _bridgeToken;
            environment["Ingest__Bridges__0__SessionExpiry"] = "00:05:00";
        }

        foreach (var (key, value) in overrides ?? new Dictionary<string, string>())
        {
            environment[key] = value;
        }

        Host = await HostProcess.StartAsync(environment, DataDirectory);
        _running = true;
        Api = new ApiClient(Host.Http);
        if (waitUntilReady)
        {
            await Host.WaitUntilAsync("/readyz", HttpStatusCode.OK, _readyDeadline);
        }
    }

}

public sealed record TestDevice(string Id, string TokenId, string Token, string? DevEui = null);

public sealed record TestWebhook(string Id, string Token, string? Secret);

public sealed record ProcessingCounters(long Written, long Duplicates, long DeadLettered);
