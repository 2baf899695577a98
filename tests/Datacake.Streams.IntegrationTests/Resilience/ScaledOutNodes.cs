using System.Security.Cryptography;
using Datacake.Streams.Access;
using Datacake.Streams.Influx.Client;
using Datacake.Streams.IntegrationTests.Core.RecordLog;
using Datacake.Streams.IntegrationTests.Host.Hosting;
using Datacake.Streams.IntegrationTests.Log.Faster;
using Datacake.Streams.IntegrationTests.Log.Kafka;
using Datacake.Streams.IntegrationTests.Services;
using Datacake.Streams.RecordLog;
using Datacake.Streams.Records;
using Datacake.Streams.TestSupport;

namespace Datacake.Streams.IntegrationTests.Resilience;

/// <summary>
/// The settings every node of one scaled-out installation shares, as an operator would hand them out: the Kafka
/// bootstrap servers (librdkafka's mock cluster, kept in the test process so the log outlives any node), the adapter
/// and registry keys (the same on every node, or one node's records fail another's signature check), and the
/// InfluxDB. Each node is the real executable in its own process with its own roles and data folder.
/// </summary>
internal sealed class ScaledOutNodes : IDisposable
{
    /// <summary>
    /// Partitions of dcs.raw. The mock keeps only ~5 MiB per partition and silently drops older data; 16 spread a
    /// test's 100,000 records (~200 B each) to ~1.3 MB per partition.
    /// </summary>
    public const int RawPartitions = 16;

    private readonly RegistrySecretSealer _sealer;

    /// <summary>Nodes writing into <paramref name="database"/> of the shared influxd, with its credentials.</summary>
    public static ScaledOutNodes ForDatabase(string database)
    {
        var endpoints = ServiceEndpoints.Current;
        return new ScaledOutNodes(new InfluxOptions
        {
            Url = new Uri(endpoints.InfluxUrl),
            Database = database,
            User = endpoints.InfluxUser,
            Password = endpoints.InfluxPassword,
        });
    }

    public ScaledOutNodes(InfluxOptions influx)
    {
        Influx = influx;
        Kafka = new KafkaMockCluster();
        Kafka.CreateTopic(LogTopics.Raw, RawPartitions);

        // Every restart of a node joins fresh groups (the registry feed's own, and the processors' after a kill left
        // it empty); the mock's 3 s default delay would be paid on each of them.
        Kafka.SetInitialRebalanceDelay(TimeSpan.FromMilliseconds(100));
        AdapterKey = RandomNumberGenerator.GetBytes(AdapterKeyring.KeyLength);
        RegistryKey = RandomNumberGenerator.GetBytes(RegistrySecretSealer.KeyLength);
        Signer = new AdapterSigner(new AdapterKeyring(new Dictionary<uint, byte[]> { [1] = AdapterKey }, 1));
        _sealer = new RegistrySecretSealer(RegistryKey);
        Codec = new RegistryChangeCodec(new RegistryMac(RegistryKey), _sealer);
    }

    public KafkaMockCluster Kafka { get; }

    public InfluxOptions Influx { get; }

    public byte[] AdapterKey { get; }

    public byte[] RegistryKey { get; }

    /// <summary>Signs records as an ingest node of this installation would.</summary>
    public AdapterSigner Signer { get; }

    /// <summary>Encodes registry changes as the api node of this installation would.</summary>
    public RegistryChangeCodec Codec { get; }

    /// <summary>
    /// A kill leaves the dead processor in the group until its session times out; until then the group cannot hand
    /// its partitions to the restarted one. 2 s instead of the host's 10 s: the dead member is gone ≤ 3 s after a kill
    /// (the mock checks sessions every second), about when its successor has started (~2-3 s here); a live member
    /// heartbeats every 667 ms (a third of it) from librdkafka's own thread, so a loaded machine does not drop it.
    /// </summary>
    public static TimeSpan SessionTimeout => TimeSpan.FromSeconds(2);

    /// <summary>The environment of a node with <paramref name="roles"/> (e.g. "process", "ingest,api").</summary>
    public Dictionary<string, string> Environment(string roles) => new()
    {
        ["DCS_ROLES"] = roles,
        ["DCS_RECORD_LOG"] = "Kafka",
        ["DCS_KAFKA_BOOTSTRAP"] = Kafka.BootstrapServers,
        ["RecordLog__Kafka__SessionTimeout"] = SessionTimeout.ToString("c"),
        ["RecordLog__Kafka__ClientId"] = "dcs-" + roles.Replace(',', '-'),
        ["Secrets__AdapterKey"] = Convert.ToBase64String(AdapterKey),
        ["Secrets__RegistryKey"] = Convert.ToBase64String(RegistryKey),
        ["DCS_INFLUX_URL"] = Influx.Url.ToString().TrimEnd('/'),
        ["DCS_INFLUX_USER"] = Influx.User ?? "",
        ["DCS_INFLUX_PASSWORD"] = Influx.Password ?? "",
        ["DCS_INFLUX_DATABASE"] = Influx.Database,
    };

    /// <summary>Starts a node with <paramref name="roles"/> on <paramref name="dataDirectory"/> (a fresh one when null).</summary>
    public Task<HostProcess> StartNodeAsync(string roles, string? dataDirectory = null, bool waitUntilHealthy = true, IDictionary<string, string>? extra = null)
    {
        var environment = Environment(roles);
        foreach (var (key, value) in extra ?? new Dictionary<string, string>())
        {
            environment[key] = value;
        }

        return HostProcess.StartAsync(environment, dataDirectory, waitUntilHealthy);
    }

    public void Dispose()
    {
        _sealer.Dispose();
        Kafka.Dispose();
    }
}
