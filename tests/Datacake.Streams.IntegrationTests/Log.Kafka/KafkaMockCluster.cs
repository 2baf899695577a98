using System.Reflection;
using System.Runtime.InteropServices;
using Confluent.Kafka;
using Datacake.Streams.Log.Kafka;

namespace Datacake.Streams.IntegrationTests.Log.Kafka;

/// <summary>
/// librdkafka's built-in mock cluster, running inside the test process for as long as this fixture holds the
/// producer that started it. It speaks the real Kafka protocol on 127.0.0.1 ports, so our clients, and Debian's
/// kcat in another process, connect to it like to any broker. No Kafka broker installs on these machines.
/// </summary>
/// <remarks>
/// Topics auto-create with 4 partitions on first produce or metadata request (CreateTopicsAsync is not supported
/// by the mock); <see cref="CreateTopic"/> makes one with another count through librdkafka's mock API.
/// Each partition keeps only ~5 MiB: tests use small records and a topic of their own.
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

    /// <summary>Creates <paramref name="topic"/> with <paramref name="partitions"/> partitions, before any client asks for it.</summary>
    public void CreateTopic(string topic, int partitions)
    {
        var (library, mockCluster) = NativeMockCluster();
        var createTopic = Marshal.GetDelegateForFunctionPointer<MockTopicCreate>(NativeLibrary.GetExport(library, "rd_kafka_mock_topic_create"));
        var error = (ErrorCode)createTopic(mockCluster, topic, partitions, replicationFactor: 1);
        if (error != ErrorCode.NoError)
        {
            throw new InvalidOperationException($"rd_kafka_mock_topic_create({topic}, {partitions}) failed: {error}");
        }
    }

    /// <summary>
    /// How long the first member of an empty consumer group waits for others before the group forms (Kafka's
    /// group.initial.rebalance.delay.ms; the mock's default is 3 s). Tests that restart a member many times lower it.
    /// </summary>
    public void SetInitialRebalanceDelay(TimeSpan delay)
    {
        var (library, mockCluster) = NativeMockCluster();
        var setDelay = Marshal.GetDelegateForFunctionPointer<MockInitialRebalanceDelay>(NativeLibrary.GetExport(library, "rd_kafka_mock_group_initial_rebalance_delay_ms"));
        setDelay(mockCluster, (int)delay.TotalMilliseconds);
    }

    /// <summary>
    /// Takes broker <paramref name="brokerId"/> (1 on a one-broker cluster) down: librdkafka's mock closes its
    /// connections and refuses new ones until <see cref="SetBrokerUp"/>; the records it holds stay, as on a broker's
    /// disk across a restart. Clients see what they see of a broker restart: dropped connections, refused reconnects.
    /// </summary>
    public void SetBrokerDown(int brokerId = 1) => SetBroker("rd_kafka_mock_broker_set_down", brokerId);

    /// <summary>Brings broker <paramref name="brokerId"/> back after <see cref="SetBrokerDown"/>.</summary>
    public void SetBrokerUp(int brokerId = 1) => SetBroker("rd_kafka_mock_broker_set_up", brokerId);

    private void SetBroker(string function, int brokerId)
    {
        var (library, mockCluster) = NativeMockCluster();
        var set = Marshal.GetDelegateForFunctionPointer<MockBrokerState>(NativeLibrary.GetExport(library, function));
        var error = (ErrorCode)set(mockCluster, brokerId);
        if (error != ErrorCode.NoError)
        {
            throw new InvalidOperationException($"{function}({brokerId}) failed: {error}");
        }
    }

    private (IntPtr Library, IntPtr MockCluster) NativeMockCluster()
    {
        // Confluent.Kafka has no managed door to the mock cluster's own API, and its librdkafka may be the
        // centos8 build it fell back to (Debian 12 lacks libsasl2.so.3): call into the library already loaded.
        var library = NativeLibrary.Load(LoadedLibrdkafka());
        var mockClusterOf = Marshal.GetDelegateForFunctionPointer<HandleMockCluster>(NativeLibrary.GetExport(library, "rd_kafka_handle_mock_cluster"));
        var handle = (SafeHandle)typeof(Handle).GetProperty("LibrdkafkaHandle", BindingFlags.Instance | BindingFlags.NonPublic)!.GetValue(_holder.Handle)!;
        var mockCluster = mockClusterOf(handle.DangerousGetHandle());
        if (mockCluster == IntPtr.Zero)
        {
            throw new InvalidOperationException("The holder's librdkafka handle has no mock cluster.");
        }

        return (library, mockCluster);
    }

    public void Dispose() => _holder.Dispose();

    private static string LoadedLibrdkafka() =>
        File.ReadLines("/proc/self/maps")
            .Select(line => line[(line.IndexOf('/', StringComparison.Ordinal) is var slash and >= 0 ? slash : line.Length)..])
            .FirstOrDefault(path => Path.GetFileName(path) is var file && file.Contains("librdkafka", StringComparison.Ordinal) && file.Contains(".so", StringComparison.Ordinal))
        ?? throw new InvalidOperationException("librdkafka is not loaded in this process.");

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate IntPtr HandleMockCluster(IntPtr kafkaHandle);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int MockTopicCreate(IntPtr mockCluster, [MarshalAs(UnmanagedType.LPUTF8Str)] string topic, int partitionCount, int replicationFactor);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int MockBrokerState(IntPtr mockCluster, int brokerId);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate void MockInitialRebalanceDelay(IntPtr mockCluster, int delayMs);
}

/// <summary>One mock cluster for every test class of the collection; tests keep apart through their own topic and group names.</summary>
[CollectionDefinition(KafkaMockCluster.Collection)]
public sealed class KafkaMockClusterCollection : ICollectionFixture<KafkaMockCluster>;
