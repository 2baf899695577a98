using System.Diagnostics;
using System.Globalization;
using Datacake.Streams.LoadGen.EndToEnd;
using Datacake.Streams.LoadGen.Mqtt;

namespace Datacake.Streams.LoadGen;

internal sealed record BrokerLoadSettings(
    string Host, int Port, string? Token, string Device, string Topic, int Connections, int Inflight, int Qos, int Batch, MqttVersion Version,
    int Seconds, string? Watch, double? Rate);

/// <summary>
/// <c>loadgen broker</c>: a broker alone, MQTT in and PUBACK out, measured with the raw-socket devices of the end-to-end
/// runs (<see cref="RawMqttDevice"/>): C connections publish numbered points as fast as their windows allow for a
/// fixed time. Prints acknowledged messages per second, each second and over the run, and the CPU seconds of the load
/// tool and of the processes named by <c>--watch broker=PID</c> over the timed window, so that a broker's rate, its
/// cost and the tool's share of the machine are stated together.
/// </summary>
internal static class BrokerLoad
{
    public const string Usage = """
          loadgen broker --host H --port P [--token T] [--device D] [--topic bench/{device}/up] [--connections 8]
                         [--inflight 64] [--qos 1] [--batch 64] [--mqtt-version 5|3.1.1] [--seconds 20] [--watch name=PID,...]
                         [--rate MESSAGES_PER_S (paced, open loop)]
        """;

    public static async Task RunAsync(BrokerLoadSettings settings)
    {
        var load = new RawNumberedMqttLoad(
            settings.Host, settings.Port, settings.Token, [settings.Device], settings.Topic, settings.Connections, settings.Inflight, settings.Qos,
            settings.Version, settings.Batch);
        await using (load)
        {
            Console.WriteLine(load.Description);
            await load.ConnectAsync(CancellationToken.None);
            var processes = ProcessWatch.Parse(settings.Watch);
            processes.Start();
            var acks = new AckedRanges();
            using var pace = settings.Rate is { } rate ? new OfferedRate(rate) : null;
            var sequence = new SequenceSource(0, long.MaxValue / 2, pace);
            var clock = Stopwatch.StartNew();
            var sending = load.RunAsync(sequence, DateTimeOffset.UtcNow.AddHours(-2).ToUnixTimeMilliseconds(), new SendLog(), acks, CancellationToken.None);
            using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
            var last = 0L;
            while (clock.Elapsed.TotalSeconds < settings.Seconds && await timer.WaitForNextTickAsync())
            {
                var now = acks.Total;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{clock.Elapsed.TotalSeconds,5:0}s {now - last,10:N0} messages/s  failed {acks.Failed}"));
                last = now;
            }

            // Counted at the stop, before the in-flight window drains: messages acknowledged within the timed window.
            var total = acks.Total;
            var seconds = clock.Elapsed.TotalSeconds;
            var usage = processes.Stop();
            sequence.Stop();
            await sending;
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"result broker messages={total} seconds={seconds:0.00} rate={total / seconds:0} failed={acks.Failed} {usage}"));
        }
    }
}
