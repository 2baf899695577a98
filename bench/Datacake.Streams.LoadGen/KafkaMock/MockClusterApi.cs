using System.Reflection;
using System.Runtime.InteropServices;
using Confluent.Kafka;

namespace Datacake.Streams.LoadGen.KafkaMock;

/// <summary>
/// The parts of librdkafka's mock cluster API that Confluent.Kafka does not expose: topics with a chosen partition
/// count (the mock auto-creates 4) and the group's initial rebalance delay. Calls go into the librdkafka that
/// Confluent.Kafka already loaded (on Debian 12 its centos8-librdkafka.so, as libsasl2.so.3 is missing), found in
/// /proc/self/maps, so they reach the same mock cluster as the holder's handle.
/// </summary>
internal sealed class MockClusterApi
{
    private readonly IntPtr _library;
    private readonly IntPtr _cluster;

    private MockClusterApi(IntPtr library, IntPtr cluster)
    {
        _library = library;
        _cluster = cluster;
    }

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate IntPtr HandleMockCluster(IntPtr kafka);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int TopicCreate(IntPtr cluster, [MarshalAs(UnmanagedType.LPUTF8Str)] string topic, int partitions, int replication);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate void InitialRebalanceDelay(IntPtr cluster, int milliseconds);

    public static MockClusterApi Of(Handle holder)
    {
        var path = File.ReadLines("/proc/self/maps")
            .Select(line => line.IndexOf('/', StringComparison.Ordinal) is var at and >= 0 ? line[at..] : "")
            .FirstOrDefault(p => Path.GetFileName(p) is var file && file.Contains("librdkafka", StringComparison.Ordinal) && file.Contains(".so", StringComparison.Ordinal))
            ?? throw new InvalidOperationException("librdkafka is not loaded in this process");
        var library = NativeLibrary.Load(path);

        // Confluent.Kafka keeps the native rd_kafka_t* in an internal SafeHandle; reflection is the only way to it.
        var safeHandle = (SafeHandle)typeof(Handle).GetProperty("LibrdkafkaHandle", BindingFlags.Instance | BindingFlags.NonPublic)!.GetValue(holder)!;
        var cluster = Function<HandleMockCluster>(library, "rd_kafka_handle_mock_cluster")(safeHandle.DangerousGetHandle());
        return cluster == IntPtr.Zero
            ? throw new InvalidOperationException("the holder's librdkafka handle has no mock cluster (test.mock.num.brokers unset?)")
            : new MockClusterApi(library, cluster);
    }

    public void CreateTopic(string topic, int partitions)
    {
        var error = (ErrorCode)Function<TopicCreate>(_library, "rd_kafka_mock_topic_create")(_cluster, topic, partitions, 1);
        if (error != ErrorCode.NoError)
        {
            throw new InvalidOperationException($"rd_kafka_mock_topic_create({topic}, {partitions}): {error}");
        }
    }

    public void SetInitialRebalanceDelay(int milliseconds) =>
        Function<InitialRebalanceDelay>(_library, "rd_kafka_mock_group_initial_rebalance_delay_ms")(_cluster, milliseconds);

    private static T Function<T>(IntPtr library, string name)
        where T : Delegate =>
        Marshal.GetDelegateForFunctionPointer<T>(NativeLibrary.GetExport(library, name));
}
