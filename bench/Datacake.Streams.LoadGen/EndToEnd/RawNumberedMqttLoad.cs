using Datacake.Streams.LoadGen.Mqtt;

namespace Datacake.Streams.LoadGen.EndToEnd;

/// <summary>
/// MQTT devices on raw sockets (<see cref="RawMqttDevice"/>): C connections, connection i publishing as device i mod D
/// to the topic template with <c>{device}</c> replaced, one numbered point per message, <c>inflight</c> publishes
/// awaiting their PUBACK per connection. Acknowledged = a PUBACK with a success code (QoS 1) or a completed send
/// (QoS 0). The default MQTT load of ops/bench/e2e.sh; <see cref="NumberedMqttLoad"/> is the MQTTnet one.
/// </summary>
internal sealed class RawNumberedMqttLoad(
    string host, int port, string? token, IReadOnlyList<string> devices, string topicTemplate, int connections, int inflight, int qos,
    MqttVersion version, int batch) : INumberedLoad
{
    private readonly List<RawMqttDevice> _devices = [];

    public string Description =>
        $"MQTT {(version == MqttVersion.V500 ? "5" : "3.1.1")} raw sockets {host}:{port} QoS {qos}: {connections} connections x {inflight} in flight (up to {batch} per send), topic {topicTemplate}, {devices.Count} devices";

    public async Task ConnectAsync(CancellationToken cancellationToken)
    {
        for (var i = _devices.Count; i < connections; i++)
        {
            var topic = topicTemplate.Replace("{device}", devices[i % devices.Count], StringComparison.Ordinal);
            _devices.Add(await RawMqttDevice.ConnectAsync(
                host, port, version, $"bench-{Environment.ProcessId}-{i}", token, topic, qos, inflight, batch, cancellationToken));
        }
    }

    public async Task<bool> SendProbeAsync(long baseMs, CancellationToken cancellationToken)
    {
        if (_devices.Count == 0)
        {
            return false;
        }

        var acks = new AckedRanges();
        await _devices[0].PublishAsync(new SequenceSource(NumberedPoint.ProbeSeq, 1), baseMs, new SendLog(), acks, cancellationToken);
        return acks.Total == 1;
    }

    public Task RunAsync(SequenceSource sequence, long baseMs, SendLog sends, AckedRanges acks, CancellationToken cancellationToken) =>
        Task.WhenAll(_devices.Select(d => d.PublishAsync(sequence, baseMs, sends, acks, cancellationToken)));

    public async ValueTask DisposeAsync()
    {
        foreach (var device in _devices)
        {
            await device.DisposeAsync();
        }
    }
}
