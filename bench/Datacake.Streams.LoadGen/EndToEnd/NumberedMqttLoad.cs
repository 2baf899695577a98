using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace Datacake.Streams.LoadGen.EndToEnd;

/// <summary>
/// MQTT devices: C connections (MQTT 5), connection i publishing as device i mod D to the topic template with
/// <c>{device}</c> replaced, one numbered point per message, <c>inflight</c> publishes awaiting their PUBACK per
/// connection. Acknowledged = a successful PUBACK (QoS 1) or a completed send (QoS 0).
/// </summary>
internal sealed class NumberedMqttLoad(
    string host, int port, string? token, IReadOnlyList<string> devices, string topicTemplate, int connections, int inflight, int qos) : INumberedLoad
{
    private readonly List<(IMqttClient Client, string Topic)> _clients = [];
    private readonly MqttQualityOfServiceLevel _qos = qos == 0 ? MqttQualityOfServiceLevel.AtMostOnce : MqttQualityOfServiceLevel.AtLeastOnce;

    public string Description =>
        $"MQTT {host}:{port} QoS {qos}: {connections} connections x {inflight} in flight, topic {topicTemplate}, {devices.Count} devices";

    public async Task ConnectAsync(CancellationToken cancellationToken)
    {
        var factory = new MqttClientFactory();
        for (var i = _clients.Count; i < connections; i++)
        {
            var client = factory.CreateMqttClient();
            var builder = new MqttClientOptionsBuilder()
                .WithTcpServer(host, port)
                .WithClientId($"bench-{Environment.ProcessId}-{i}")
                .WithProtocolVersion(MqttProtocolVersion.V500)
                .WithTimeout(TimeSpan.FromSeconds(30));
            if (token is not null)
            {
                builder.WithCredentials("bench", token);
            }

            var result = await client.ConnectAsync(builder.Build(), cancellationToken);
            if (result.ResultCode != MqttClientConnectResultCode.Success)
            {
                client.Dispose();
                throw new InvalidOperationException($"MQTT connect to {host}:{port} refused: {result.ResultCode}");
            }

            _clients.Add((client, topicTemplate.Replace("{device}", devices[i % devices.Count], StringComparison.Ordinal)));
        }
    }

    public async Task<bool> SendProbeAsync(long baseMs, CancellationToken cancellationToken)
    {
        if (_clients.Count == 0)
        {
            return false;
        }

        var (client, topic) = _clients[0];
        var result = await client.PublishAsync(Message(topic, baseMs, NumberedPoint.ProbeSeq, MqttQualityOfServiceLevel.AtLeastOnce), cancellationToken);
        return result.IsSuccess;
    }

    public Task RunAsync(SequenceSource sequence, long baseMs, SendLog sends, AckedRanges acks, CancellationToken cancellationToken) =>
        Task.WhenAll(_clients.SelectMany(c => Enumerable.Range(0, inflight).Select(_ => Task.Run(
            async () =>
            {
                while (await sequence.ClaimAsync(1, cancellationToken) is { Count: > 0 } claim)
                {
                    var seq = claim.First;
                    sends.Begin(1);
                    try
                    {
                        var result = await c.Client.PublishAsync(Message(c.Topic, baseMs, seq, _qos), cancellationToken);
                        if (result.IsSuccess)
                        {
                            acks.Add(seq, 1);
                        }
                        else
                        {
                            acks.Fail(1);
                        }
                    }
                    catch (MQTTnet.Exceptions.MqttCommunicationException)
                    {
                        acks.Fail(1);
                    }
                }
            },
            cancellationToken))));

    public async ValueTask DisposeAsync()
    {
        foreach (var (client, _) in _clients)
        {
            if (client.IsConnected)
            {
                await client.DisconnectAsync();
            }

            client.Dispose();
        }
    }

    private static MqttApplicationMessage Message(string topic, long baseMs, long seq, MqttQualityOfServiceLevel qos) =>
        new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(NumberedPoint.MqttPayload(baseMs, seq)).WithQualityOfServiceLevel(qos).Build();
}
