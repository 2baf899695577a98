using Confluent.Kafka;
using Datacake.Streams.RecordLog;

namespace Datacake.Streams.Log.Kafka;

/// <summary>The librdkafka settings the record log's promises depend on, built from <see cref="KafkaRecordLogOptions"/>.</summary>
internal static class KafkaClientConfig
{
    public static ProducerConfig ForProducer(KafkaRecordLogOptions options)
    {
        var config = new ProducerConfig
        {
            BootstrapServers = options.BootstrapServers,
            ClientId = options.ClientId,

            // An append is acknowledged to the device only once every in-sync replica has it,
            // and librdkafka's internal retries must not duplicate or reorder a key's records.
            Acks = Acks.All,
            EnableIdempotence = true,

            // The same hash as the Java client's default partitioner (murmur2 of the key bytes), so that
            // Java/Kafka Streams producers and this one place a device id on the same partition;
            // "random" only applies to records without a key, which the log never writes.
            Partitioner = Partitioner.Murmur2Random,

            LingerMs = options.Linger.TotalMilliseconds,
            MessageTimeoutMs = (int)options.DeliveryTimeout.TotalMilliseconds,

            // An append needs only the outcome and the position from its delivery report; not marshalling the
            // key, value, timestamp and headers back out of librdkafka saves allocations on every record.
            DeliveryReportFields = "status",
        };
        return Apply(config, options);
    }

    public static ConsumerConfig ForConsumer(KafkaRecordLogOptions options, string group, StartPosition start)
    {
        var sessionMs = (int)options.SessionTimeout.TotalMilliseconds;
        var config = new ConsumerConfig
        {
            BootstrapServers = options.BootstrapServers,
            ClientId = options.ClientId + "-consumer",
            GroupId = group,

            // Positions move only through IRecordLogConsumer.Commit, after the records were processed:
            // neither the commit nor the offset store may run ahead of the application on its own.
            EnableAutoCommit = false,
            EnableAutoOffsetStore = false,
            AutoOffsetReset = start == StartPosition.Earliest ? AutoOffsetReset.Earliest : AutoOffsetReset.Latest,

            SessionTimeoutMs = sessionMs,

            // Kafka's rule of thumb: heartbeat at most a third of the session timeout (3 s is librdkafka's default).
            HeartbeatIntervalMs = Math.Max(1, Math.Min(3_000, sessionMs / 3)),

            // A processor may start before any adapter wrote to a fresh cluster: subscribing creates the topic
            // (where the brokers allow it) instead of reporting it missing.
            AllowAutoCreateTopics = true,
        };
        return Apply(config, options);
    }

    private static T Apply<T>(T config, KafkaRecordLogOptions options)
        where T : ClientConfig
    {
        foreach (var (key, value) in options.Config)
        {
            config.Set(key, value);
        }

        return config;
    }
}
