using System.Text;
using MQTTnet;
using MQTTnet.Protocol;

namespace Datacake.Streams.LoadGen;

internal sealed record MqttLoadSettings(string Host, int Port, string Token, string Device, int Connections, int Qos, int Seconds, int Inflight);

/// <summary>N MQTT v5 connections publishing to one device's topic; QoS 1 awaits each PUBACK (Inflight per connection).</summary>
internal static class MqttLoad
{
    public static async Task RunAsync(MqttLoadSettings settings)
    {
        var payload = Encoding.UTF8.GetBytes("""{"temperature":21.5,"humidity":40,"on":true}""");
        var topic = $"devices/{settings.Device}/measurements";
        var qos = settings.Qos == 0 ? MqttQualityOfServiceLevel.AtMostOnce : MqttQualityOfServiceLevel.AtLeastOnce;
        Console.WriteLine($"MQTT {settings.Host}:{settings.Port} connections={settings.Connections} qos={settings.Qos} inflight={settings.Inflight} payload={payload.Length} B");
        var factory = new MqttClientFactory();
        var clients = new List<IMqttClient>();
        for (var i = 0; i < settings.Connections; i++)
        {
            var client = factory.CreateMqttClient();
            var result = await client.ConnectAsync(new MqttClientOptionsBuilder()
                .WithTcpServer(settings.Host, settings.Port)
                .WithClientId($"loadgen-{Environment.ProcessId}-{i}")
                .WithCredentials("loadgen", settings.Token)
                .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500)
                .WithTimeout(TimeSpan.FromSeconds(30))
                .Build());
            if (result.ResultCode != MqttClientConnectResultCode.Success)
            {
                throw new InvalidOperationException($"connect refused: {result.ResultCode}");
            }

            clients.Add(client);
        }

        var meter = new Meter("messages");
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(settings.Seconds));
        var workers = clients.SelectMany(client => Enumerable.Range(0, settings.Inflight).Select(_ => Task.Run(async () =>
        {
            var message = new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(payload).WithQualityOfServiceLevel(qos).Build();

            // QoS 0 completes once the packet is written: no token, so MQTTnet links none per publish (the generator
            // shares the CPU with the host). QoS 1 takes the stop token so that a PUBACK that never comes ends the run.
            var token = qos == MqttQualityOfServiceLevel.AtMostOnce ? CancellationToken.None : stop.Token;
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    var result = await client.PublishAsync(message, token);
                    if (result.IsSuccess)
                    {
                        meter.Add(1);
                    }
                    else
                    {
                        meter.Error();
                    }
                }
                catch (Exception) when (stop.IsCancellationRequested)
                {
                    // The run ended with this publish in flight (MQTTnet reports the cancel as a communication error
                    // too): neither a message nor an error.
                }
                catch (MQTTnet.Exceptions.MqttCommunicationException)
                {
                    meter.Error();
                    return;
                }
            }
        }))).ToArray();
        await meter.ReportAsync(TimeSpan.FromSeconds(settings.Seconds), CancellationToken.None);
        await Task.WhenAll(workers);
        foreach (var client in clients)
        {
            await client.DisconnectAsync();
            client.Dispose();
        }
    }
}
