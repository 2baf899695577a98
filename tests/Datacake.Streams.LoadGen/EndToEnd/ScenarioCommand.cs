using System.Globalization;

namespace Datacake.Streams.LoadGen.EndToEnd;

/// <summary>
/// <c>loadgen scenario</c>: one measured end-to-end run. Proves the path is live with a probe point, then sends
/// <c>--points</c> numbered points, follows them into influxd until the last acknowledged one is queryable, and checks
/// that every acknowledged point is stored exactly once. Prints one <c>result key=value ...</c> line; exit code 3
/// when a point is missing, duplicated or misplaced.
/// </summary>
internal static class ScenarioCommand
{
    public const string Usage = """
          loadgen scenario --name N --kind influx|http|mqtt --influx URL --db DB --points P [--create-db true]
                           [--timeline FILE] [--stall-seconds 20] [--deadline-seconds 900]
              influx: [--writers 2] [--batch 5000]
              http:   --url URL --token T --devices-file F [--connections 8] [--per-request 1000]
              mqtt:   --host H --port P [--token T] --devices-file F [--topic devices/{device}/measurements]
                      [--connections 64] [--inflight 4] [--qos 1]
        """;

    private static readonly TimeSpan _probeDeadline = TimeSpan.FromSeconds(120);

    public static async Task<int> RunAsync(IReadOnlyDictionary<string, string> options)
    {
        var name = LoadCommand.Required(options, "name");
        var database = LoadCommand.Required(options, "db");
        var total = LoadCommand.Long(options, "points", 100_000);
        using var influx = new InfluxEndpoint(new Uri(LoadCommand.Required(options, "influx")));
        await using var load = Create(options, database);

        // Older than now by far more than a run lasts, younger than the 30-day raw tier; ms steps keep series unique.
        var baseMs = DateTimeOffset.UtcNow.AddHours(-2).ToUnixTimeMilliseconds();
        using var abort = new CancellationTokenSource(TimeSpan.FromSeconds(LoadCommand.Int(options, "deadline-seconds", 900)));
        if (LoadCommand.Text(options, "create-db", "false") == "true")
        {
            await influx.ExecuteAsync($"CREATE DATABASE \"{database}\"", abort.Token);
        }

        Console.WriteLine($"{name}: {load.Description}; {total:N0} points into {database}");
        await ConnectAsync(load, abort.Token);
        await ProbeAsync(load, influx, database, baseMs, abort.Token);

        var watch = new DeliveryWatch(influx, database);
        var acks = new AckedRanges();
        await watch.StartAsync(abort.Token);
        var sending = load.RunAsync(new SequenceSource(total), baseMs, acks, abort.Token);
        await watch.SampleAsync(sending, abort.Token);
        await sending;
        var sendSeconds = watch.Elapsed.TotalSeconds;
        var stall = TimeSpan.FromSeconds(LoadCommand.Int(options, "stall-seconds", 20));
        var seconds = await watch.WaitDeliveredAsync(acks.Total, stall, TimeSpan.FromSeconds(LoadCommand.Int(options, "deadline-seconds", 900)), abort.Token);
        if (options.TryGetValue("timeline", out var timeline))
        {
            await watch.WriteTimelineAsync(timeline, seconds);
        }

        var check = await DeliveryCheck.RunAsync(influx, database, acks, total, baseMs, abort.Token);
        var rate = check.Stored / Math.Max(seconds, 0.001);
        var latency = LatencyEstimate.From(acks.Timeline(), watch.StartTimestamp, watch.Samples);
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"result name={name} points={total} acked={acks.Total} failed={acks.Failed} send_seconds={sendSeconds:0.00} seconds={seconds:0.00} rate={rate:0} stored={check.Stored} missing={check.Missing} duplicates={check.Duplicates} unacknowledged={check.Unacknowledged} misplaced={check.Misplaced} p50_ms={latency.P50Ms:0} p99_ms={latency.P99Ms:0} max_ms={latency.MaxMs:0}"));
        return check.ExactlyOnce ? 0 : 3;
    }

    private static INumberedLoad Create(IReadOnlyDictionary<string, string> options, string database)
    {
        var kind = LoadCommand.Required(options, "kind");
        return kind switch
        {
            "influx" => new DirectInfluxLoad(
                new Uri(LoadCommand.Required(options, "influx")), database, LoadCommand.Int(options, "writers", 2), LoadCommand.Int(options, "batch", 5_000)),
            "http" => new NumberedHttpLoad(
                new Uri(LoadCommand.Required(options, "url")), LoadCommand.Required(options, "token"), Devices(options),
                LoadCommand.Int(options, "connections", 8), LoadCommand.Int(options, "per-request", 1_000)),
            "mqtt" => new NumberedMqttLoad(
                LoadCommand.Required(options, "host"), LoadCommand.Int(options, "port", 1883), options.GetValueOrDefault("token"), Devices(options),
                LoadCommand.Text(options, "topic", "devices/{device}/measurements"), LoadCommand.Int(options, "connections", 64),
                LoadCommand.Int(options, "inflight", 4), LoadCommand.Int(options, "qos", 1)),
            _ => throw new ArgumentException($"--kind must be influx, http or mqtt, not {kind}"),
        };
    }

    private static string[] Devices(IReadOnlyDictionary<string, string> options)
    {
        var devices = File.ReadAllLines(LoadCommand.Required(options, "devices-file")).Where(l => l.Length > 0).ToArray();
        return devices.Length > 0 ? devices : throw new ArgumentException("--devices-file lists no device");
    }

    /// <summary>A host that has just started may not know the token yet (the registry view catches up): retry.</summary>
    private static async Task ConnectAsync(INumberedLoad load, CancellationToken cancellationToken)
    {
        var until = DateTime.UtcNow + _probeDeadline;
        while (true)
        {
            try
            {
                await load.ConnectAsync(cancellationToken);
                return;
            }
            catch (Exception e) when (e is InvalidOperationException or MQTTnet.Exceptions.MqttCommunicationException && DateTime.UtcNow < until)
            {
                await Task.Delay(250, cancellationToken);
            }
        }
    }

    /// <summary>
    /// Sends the probe point until it is queryable: proves the token is known, the subscriptions of a bridge or a
    /// Node-RED flow exist, and the database is there, before the clock starts.
    /// </summary>
    private static async Task ProbeAsync(INumberedLoad load, InfluxEndpoint influx, string database, long baseMs, CancellationToken cancellationToken)
    {
        var until = DateTime.UtcNow + _probeDeadline;
        var probe = InfluxEndpoint.Where(0, below: true);
        while (DateTime.UtcNow < until)
        {
            if (await load.SendProbeAsync(baseMs, cancellationToken))
            {
                var wait = DateTime.UtcNow + TimeSpan.FromSeconds(3);
                while (DateTime.UtcNow < wait)
                {
                    if (await influx.CountAsync(database, probe, cancellationToken) > 0)
                    {
                        return;
                    }

                    await Task.Delay(100, cancellationToken);
                }
            }
            else
            {
                await Task.Delay(250, cancellationToken);
            }
        }

        throw new TimeoutException($"the probe point did not reach {database} within {_probeDeadline.TotalSeconds:0} s");
    }
}
