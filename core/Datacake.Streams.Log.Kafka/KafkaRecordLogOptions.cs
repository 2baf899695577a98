namespace Datacake.Streams.Log.Kafka;

/// <summary>How the Kafka record log reaches its cluster. Bound from configuration section <c>RecordLog:Kafka</c>.</summary>
public sealed record KafkaRecordLogOptions
{
    /// <summary>Configuration section name, beside the embedded log's <c>RecordLog:Faster</c>.</summary>
    public const string Section = "RecordLog:Kafka";

    /// <summary>Comma-separated <c>host:port</c> list of brokers to bootstrap from.</summary>
    public string BootstrapServers { get; init; } = "127.0.0.1:9092";

    /// <summary>Client id prefix shown in broker logs and quotas; consumers append <c>-consumer</c>.</summary>
    public string ClientId { get; init; } = "datacake-streams";

    /// <summary>
    /// How long the producer waits to fill a batch. 5 ms: an adapter awaits each append before it
    /// acknowledges its device, so this is added to every acknowledgement; at a few thousand records/s
    /// 5 ms already batches tens of records per request.
    /// </summary>
    public TimeSpan Linger { get; init; } = TimeSpan.FromMilliseconds(5);

    /// <summary>
    /// How long an append may wait for the brokers (librdkafka <c>message.timeout.ms</c>) before it fails with
    /// <see cref="Datacake.Streams.RecordLog.RecordLogUnavailableException"/>. 30 s outlasts a leader
    /// election (typically a few seconds) yet answers a device well before common HTTP client timeouts (60-100 s).
    /// </summary>
    public TimeSpan DeliveryTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// A consumer that stops heartbeating for this long leaves its group and its partitions move to the others.
    /// 10 s instead of Kafka's 45 s default: a crashed processor's partitions resume sooner.
    /// </summary>
    public TimeSpan SessionTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Bound for metadata look-ups (partition counts).</summary>
    public TimeSpan MetadataTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Bound for the readiness probe; /readyz is polled every few seconds, so it must answer quickly.</summary>
    public TimeSpan ReachabilityTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How long disposal waits for records still in flight before it gives up on them.</summary>
    public TimeSpan FlushTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Extra librdkafka properties (e.g. <c>security.protocol</c>, <c>ssl.ca.location</c>, <c>sasl.*</c>), applied to
    /// producer and consumers after the settings above, so they can override tuning; the settings the log's
    /// guarantees rest on (acks, idempotence, auto commit, offset store, group id) are refused by the validator.
    /// </summary>
    public Dictionary<string, string> Config { get; init; } = [];
}
