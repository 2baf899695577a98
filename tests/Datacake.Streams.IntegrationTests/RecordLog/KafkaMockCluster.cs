using Confluent.Kafka;
using Datacake.Streams.Log.Kafka;

namespace Datacake.Streams.IntegrationTests.RecordLog;

/// <summary>
/// librdkafka's built-in mock cluster, running inside the test process for as long as this fixture holds the
/// producer that started it. It speaks the real Kafka protocol on 127.0.0.1 ports, so our clients, and Debian's
/// kcat in another process, connect to it like to any broker. No Kafka broker installs on these machines.
/// </summary>
/// <remarks>
/// Topics auto-create with 4 partitions on first produce or metadata request (CreateTopicsAsync is not supported
/// by the mock). Each partition keeps only ~5 MiB: tests use small records and a topic of their own.
/// </remarks>
public sealed class KafkaMockCluster : IDisposable
{
    public const string Collection = "kafka-mock-cluster";

    /// <summary>Partitions of an auto-created topic on the mock cluster (librdkafka's default there).</summary>
    public const int DefaultPartitions = 4;

    private readonly IProducer<Null, Null> _holder;

    public KafkaMockCluster()
    {
        var config = new ProducerConfig();
        config.Set("test.mock.num.brokers", "1");
        _holder = new ProducerBuilder<Null, Null>(config)
            .SetLogHandler((_, _) => { })
            .Build();

        using var admin = new DependentAdminClientBuilder(_holder.Handle).Build();
        var brokers = admin.GetMetadata(TimeSpan.FromSeconds(10)).Brokers;
        if (brokers.Count == 0)
        {
            throw new InvalidOperationException("librdkafka's mock cluster started without brokers.");
        }

        BootstrapServers = string.Join(',', brokers.Select(b => $"{b.Host}:{b.Port}"));
    }

    /// <summary>The mock brokers' <c>host:port</c> list; the ports change on every start.</summary>
    public string BootstrapServers { get; }

    public KafkaRecordLogOptions LogOptions() => new() { BootstrapServers = BootstrapServers, ClientId = "dcs-tests" };

    public void Dispose() => _holder.Dispose();
}

/// <summary>One mock cluster for every test class of the collection; tests keep apart through their own topic and group names.</summary>
[CollectionDefinition(KafkaMockCluster.Collection)]
public sealed class KafkaMockClusterCollection : ICollectionFixture<KafkaMockCluster>;
