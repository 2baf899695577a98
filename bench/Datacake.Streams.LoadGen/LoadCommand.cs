using System.Globalization;

namespace Datacake.Streams.LoadGen;

/// <summary>
/// <c>prepare --data DIR</c>: registers a workspace, devices and a token in a host's embedded log (before the host
/// starts) and prints them. <c>http</c> / <c>mqtt</c>: drive a running host and print messages per second. <c>broker</c>: an MQTT broker's
/// QoS 1 rate alone (MQTT in, PUBACK out) with the raw-socket devices.
/// <c>scenario</c>: one measured end-to-end run with numbered points (ops/bench/e2e.sh); <c>table</c>: its table from
/// the runs' result lines. <c>ports N</c>: N free loopback TCP ports. <c>kafka-mock</c>: a local Kafka (librdkafka's
/// mock cluster) for scaled-out runs (ops/bench/scaling.sh).
/// </summary>
internal static class LoadCommand
{
    private const string Usage = """
        usage:
          loadgen prepare --data DIR | --kafka BOOTSTRAP [--devices 1] [--devices-file FILE] [--device-tokens-file FILE]
          loadgen http --url http://127.0.0.1:8080 --token T --device D [--connections 16] [--per-request 100] [--seconds 20]
          loadgen mqtt --host 127.0.0.1 --port 1883 --token T --device D [--connections 32] [--qos 0|1] [--seconds 20] [--inflight 1]
          loadgen ports N
        """ + "\n" + BrokerLoad.Usage + "\n" + EndToEnd.ScenarioCommand.Usage + "\n" + EndToEnd.ResultTable.Usage + KafkaMock.KafkaMockCommand.Usage;

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length == 0)
        {
            Console.Error.WriteLine(Usage);
            return 2;
        }

        try
        {
            if (args[0] == "ports")
            {
                FreePorts.Print(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1);
                return 0;
            }

            var options = ParseOptions(args.AsSpan(1));
            switch (args[0])
            {
                case "prepare":
                    await Registration.PrepareAsync(
                        options.GetValueOrDefault("data"), options.GetValueOrDefault("kafka"), Int(options, "devices", 1), options.GetValueOrDefault("devices-file"),
                        options.GetValueOrDefault("device-tokens-file"));
                    return 0;
                case "kafka-mock":
                    return await KafkaMock.KafkaMockCommand.RunAsync(options);
                case "scenario":
                    return await EndToEnd.ScenarioCommand.RunAsync(options);
                case "table":
                    return await EndToEnd.ResultTable.RunAsync(options);
                case "http":
                    await HttpLoad.RunAsync(new HttpLoadSettings(
                        new Uri(Required(options, "url")), Required(options, "token"), Required(options, "device"),
                        Int(options, "connections", 16), Int(options, "per-request", 100), Int(options, "seconds", 20)));
                    return 0;
                case "mqtt":
                    await MqttLoad.RunAsync(new MqttLoadSettings(
                        Required(options, "host"), Int(options, "port", 1883), Required(options, "token"), Required(options, "device"),
                        Int(options, "connections", 32), Int(options, "qos", 0), Int(options, "seconds", 20), Int(options, "inflight", 1)));
                    return 0;
                case "broker":
                    await BrokerLoad.RunAsync(new BrokerLoadSettings(
                        Required(options, "host"), Int(options, "port", 1883), options.GetValueOrDefault("token"), Text(options, "device", "d0"),
                        Text(options, "topic", "bench/{device}/up"), Int(options, "connections", 8), Int(options, "inflight", 64), Int(options, "qos", 1),
                        Int(options, "batch", 64), Mqtt.MqttVersions.Parse(Text(options, "mqtt-version", "5")), Int(options, "seconds", 20),
                        options.GetValueOrDefault("watch"),
                        options.TryGetValue("rate", out var rate) ? double.Parse(rate, CultureInfo.InvariantCulture) : null));
                    return 0;
                default:
                    Console.Error.WriteLine(Usage);
                    return 2;
            }
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine(e.Message);
            Console.Error.WriteLine(Usage);
            return 2;
        }
    }

    private static Dictionary<string, string> ParseOptions(ReadOnlySpan<string> args)
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal))
            {
                throw new ArgumentException($"expected --name value, got {args[i]}");
            }

            options[args[i][2..]] = args[i + 1];
        }

        return options;
    }

    internal static string Required(IReadOnlyDictionary<string, string> options, string name) =>
        options.TryGetValue(name, out var value) ? value : throw new ArgumentException($"--{name} is required");

    internal static string Text(IReadOnlyDictionary<string, string> options, string name, string fallback) =>
        options.TryGetValue(name, out var value) ? value : fallback;

    internal static int Int(IReadOnlyDictionary<string, string> options, string name, int fallback) =>
        options.TryGetValue(name, out var value) ? int.Parse(value, CultureInfo.InvariantCulture) : fallback;

    internal static long Long(IReadOnlyDictionary<string, string> options, string name, long fallback) =>
        options.TryGetValue(name, out var value) ? long.Parse(value, CultureInfo.InvariantCulture) : fallback;
}
