using System.Diagnostics.Metrics;

namespace Datacake.Streams.Ingest.Mqtt;

/// <summary>
/// What the MQTT broker did with the PUBLISH packets it handled, for tests, benchmarks and metrics; every count is also
/// added to the meter <c>Datacake.Streams.Ingest.Mqtt</c> (instrument <c>messages</c>, exported as <c>datacake_streams_ingest_mqtt_messages_total</c>; tags qos and
/// outcome). A message is counted as accepted only once its record is durable in the log, for QoS 0 as for QoS 1.
/// </summary>
public sealed class MqttIngestCounters
{
    public const string MeterName = "Datacake.Streams.Ingest.Mqtt";

    private static readonly Meter _meter = new(MeterName);
    private static readonly Counter<long> _messages = _meter.CreateCounter<long>("messages", description: "MQTT PUBLISH packets by QoS and outcome");
    private static readonly KeyValuePair<string, object?> _qos0 = new("qos", 0);
    private static readonly KeyValuePair<string, object?> _qos1 = new("qos", 1);
    private static readonly KeyValuePair<string, object?> _accepted = new("outcome", "accepted");
    private static readonly KeyValuePair<string, object?> _dropped = new("outcome", "log_unavailable");
    private static readonly KeyValuePair<string, object?> _refused = new("outcome", "refused");

    private long _accepted0;
    private long _accepted1;
    private long _dropped0;
    private long _refusedCount;
    private long _refusedAtAccept;

    /// <summary>QoS 0 messages whose record is durable.</summary>
    public long AcceptedQos0 => Interlocked.Read(ref _accepted0);

    /// <summary>QoS 1 messages whose record is durable (PUBACK sent).</summary>
    public long AcceptedQos1 => Interlocked.Read(ref _accepted1);

    /// <summary>QoS 0 messages the log refused: best effort, counted and not retried.</summary>
    public long DroppedQos0 => Interlocked.Read(ref _dropped0);

    /// <summary>Messages refused before any append: topic, scope, payload format or size.</summary>
    public long Refused => Interlocked.Read(ref _refusedCount);

    /// <summary>Sockets closed at accept because their address already held its cap of sockets without a CONNECT.</summary>
    public long ConnectionsRefusedAtAccept => Interlocked.Read(ref _refusedAtAccept);

    internal void RefusedAtAccept() => Interlocked.Increment(ref _refusedAtAccept);

    internal void Accepted(bool qos1)
    {
        if (qos1)
        {
            Interlocked.Increment(ref _accepted1);
        }
        else
        {
            Interlocked.Increment(ref _accepted0);
        }

        if (_messages.Enabled)
        {
            _messages.Add(1, qos1 ? _qos1 : _qos0, _accepted);
        }
    }

    internal void Dropped()
    {
        Interlocked.Increment(ref _dropped0);
        _messages.Add(1, _qos0, _dropped);
    }

    internal void Refuse(bool qos1)
    {
        Interlocked.Increment(ref _refusedCount);
        _messages.Add(1, qos1 ? _qos1 : _qos0, _refused);
    }
}
