using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using Datacake.Streams.LoadGen.Mqtt;

namespace Datacake.Streams.LoadGen.EndToEnd;

/// <summary>
/// <c>loadgen scenario</c>: one measured end-to-end run. Proves the path is live with a probe point, warms it up with
/// <c>--warmup</c> points the check ignores (negative numbers) until they are written, then starts the clock, sends
/// <c>--points</c> numbered points, follows them into influxd until the last acknowledged one is queryable, and checks
/// that every acknowledged point is stored exactly once. Prints one <c>result key=value ...</c> line (rate, latency
/// p50/p99, CPU seconds and peak RSS of the watched processes over the timed window); exit code 3 when a point is
/// missing, duplicated or misplaced.
/// </summary>
internal static class ScenarioCommand
{
    public const string Usage = """
          loadgen scenario --name N --kind influx|http|mqtt --influx URL --db DB --points P [--create-db true]
                           [--warmup W] [--watch host=PID,influxd=PID,...] [--run R] [--timeline FILE]
                           [--stall-seconds 20] [--deliver-seconds 900] [--sample-ms 100]
                           [--rate POINTS_PER_S] [--first-seq F] [--base-ms MS]
              influx: [--writers 2] [--batch 5000]
              http:   --url URL --token T --devices-file F [--connections 8] [--per-request 1000]
              mqtt:   --host H --port P [--token T] --devices-file F [--topic devices/{device}/measurements]
                      [--connections 64] [--inflight 4] [--qos 1] [--mqtt-client raw|mqttnet]
                      [--mqtt-version 5|3.1.1] [--batch 64 (raw: publishes per send at most)]
          [--influx-user U (password from DCS_INFLUX_PASSWORD)] [--measurements all|devices]
          --rate paces the timed points (open loop, a timer releases them) instead of sending as fast as acknowledged;
          --first-seq numbers them from F (a second run into a database that holds 0..F-1); --base-ms fixes point times.
        """;

    private static readonly TimeSpan _probeDeadline = TimeSpan.FromSeconds(120);

    /// <summary>
    /// A warm-up that stops making progress for this long has lost points (a peer that drops): start the clock anyway.
    /// 10 s is far above any batching delay here (1 s joins, 2 s flushes) and costs little when it happens.
    /// </summary>
    private static readonly TimeSpan _warmupStall = TimeSpan.FromSeconds(10);

    public static async Task<int> RunAsync(IReadOnlyDictionary<string, string> options)
    {
        var name = LoadCommand.Required(options, "name");
        var database = LoadCommand.Required(options, "db");
        var total = LoadCommand.Long(options, "points", 100_000);
        var warmup = LoadCommand.Long(options, "warmup", 0);
        var interval = TimeSpan.FromMilliseconds(LoadCommand.Int(options, "sample-ms", 100));
        var deliver = TimeSpan.FromSeconds(LoadCommand.Int(options, "deliver-seconds", 900));
        var processes = ProcessWatch.Parse(options.GetValueOrDefault("watch"));
        using var influx = new InfluxEndpoint(
            new Uri(LoadCommand.Required(options, "influx")), login: InfluxLogin.From(options), measurements: Measurements(options));
        await using var load = Create(options, database);

        // Older than now by far more than a run lasts, younger than the 30-day raw tier; ms steps keep series unique. A
        // second run into the same database (half load) takes the first one's base and numbers after its own.
        var baseMs = LoadCommand.Long(options, "base-ms", DateTimeOffset.UtcNow.AddHours(-2).ToUnixTimeMilliseconds());
        var firstSeq = LoadCommand.Long(options, "first-seq", 0);
        var rate = options.TryGetValue("rate", out var rateText) ? double.Parse(rateText, CultureInfo.InvariantCulture) : (double?)null;

        // The whole run may take the delivery bound plus the probe, the warm-up and the read-back of every point.
        using var abort = new CancellationTokenSource(deliver + TimeSpan.FromMinutes(15));
        if (LoadCommand.Text(options, "create-db", "false") == "true")
        {
            await influx.ExecuteAsync($"CREATE DATABASE \"{database}\"", abort.Token);
        }

        Console.WriteLine(
            $"{name}: {load.Description}; {warmup:N0} warm-up points, then {total:N0} timed points into {database}" +
            (rate is { } offered ? string.Create(CultureInfo.InvariantCulture, $" offered at {offered:0} points/s") : ""));
        await ConnectAsync(load, abort.Token);
        await ProbeAsync(load, influx, database, baseMs, abort.Token);
        var (warmupAcked, warmupSeconds) = await WarmUpAsync(load, influx, warmup, baseMs, interval, abort.Token);

        var watch = new DeliveryWatch(influx, database, firstSeq, interval);
        var sends = new SendLog();
        var acks = new AckedRanges();
        processes.Start();
        await watch.StartAsync(abort.Token);
        using var pace = rate is { } perSecond ? new OfferedRate(perSecond) : null;
        var sending = load.RunAsync(new SequenceSource(firstSeq, total, pace), baseMs, sends, acks, abort.Token);
        await watch.SampleAsync(sending, abort.Token);
        await sending;
        var sendSeconds = watch.Elapsed.TotalSeconds;
        var stall = TimeSpan.FromSeconds(LoadCommand.Int(options, "stall-seconds", 20));
        var seconds = await watch.WaitDeliveredAsync(acks.Total, stall, deliver, abort.Token);
        var usage = processes.Stop();
        if (options.TryGetValue("timeline", out var timeline))
        {
            await watch.WriteTimelineAsync(timeline, seconds);
        }

        var (p50, p99) = LatencyEstimate.Percentiles(sends.Entries, watch.Samples, watch.StartTimestamp);
        var check = await DeliveryCheck.RunAsync(influx, database, acks, firstSeq, total, baseMs, abort.Token);
        var pointsPerSecond = check.Stored / Math.Max(seconds, 0.001);
        var offeredField = rate is { } r ? string.Create(CultureInfo.InvariantCulture, $" offered_rate={r:0} first_seq={firstSeq}") : "";
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"result name={name} run={LoadCommand.Text(options, "run", "1")} points={total} acked={acks.Total} failed={acks.Failed} send_seconds={sendSeconds:0.00} seconds={seconds:0.00} rate={pointsPerSecond:0}{offeredField} stored={check.Stored} missing={check.Missing} duplicates={check.Duplicates} unacknowledged={check.Unacknowledged} misplaced={check.Misplaced} p50_ms={p50:0} p99_ms={p99:0} warmup={warmup} warmup_acked={warmupAcked} warmup_seconds={warmupSeconds:0.00} sample_ms={interval.TotalMilliseconds:0} {usage}"));
        return check.ExactlyOnce ? 0 : 3;
    }

    /// <summary>
    /// Sends the warm-up points through the same path and waits until influxd has written them (or they stop
    /// arriving): the JIT's tiering and the pools are then past their first seconds when the clock starts, as in a
    /// server that has been running. Returns the acknowledged count and the seconds it took.
    /// </summary>
    private static async Task<(long Acked, double Seconds)> WarmUpAsync(
        INumberedLoad load, InfluxEndpoint influx, long points, long baseMs, TimeSpan interval, CancellationToken cancellationToken)
    {
        if (points <= 0)
        {
            return (0, 0);
        }

        var clock = Stopwatch.StartNew();
        var baseline = await influx.PointsWrittenAsync(cancellationToken);
        var acks = new AckedRanges();
        await load.RunAsync(new SequenceSource(NumberedPoint.WarmupFirst(points), points), baseMs, new SendLog(), acks, cancellationToken);
        using var timer = new PeriodicTimer(interval);
        var lastWritten = -1L;
        var lastChange = clock.Elapsed;
        while (await timer.WaitForNextTickAsync(cancellationToken))
        {
            var written = await influx.PointsWrittenAsync(cancellationToken) - baseline;
            if (written >= acks.Total)
            {
                break;
            }

            if (written != lastWritten)
            {
                lastWritten = written;
                lastChange = clock.Elapsed;
            }
            else if (clock.Elapsed - lastChange > _warmupStall)
            {
                Console.WriteLine($"warm-up: {written:N0} of {acks.Total:N0} acknowledged points written, then nothing for {_warmupStall.TotalSeconds:0} s; starting the clock");
                break;
            }
        }

        return (acks.Total, clock.Elapsed.TotalSeconds);
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
            "write" => new NumberedLineProtocolLoad(
                new Uri(LoadCommand.Required(options, "url")), File.ReadAllLines(LoadCommand.Required(options, "device-tokens-file")).Where(l => l.Length > 0).ToArray(),
                LoadCommand.Int(options, "connections", 2), LoadCommand.Int(options, "per-request", 5_000)),
            "mqtt" => Mqtt(options),
            _ => throw new ArgumentException($"--kind must be influx, http, write or mqtt, not {kind}"),
        };
    }

    /// <summary>The raw-socket devices by default; <c>--mqtt-client mqttnet</c> is the MQTTnet load of earlier runs (MQTT 5 only).</summary>
    private static INumberedLoad Mqtt(IReadOnlyDictionary<string, string> options)
    {
        var host = LoadCommand.Required(options, "host");
        var port = LoadCommand.Int(options, "port", 1883);
        var token = options.GetValueOrDefault("token");
        var topic = LoadCommand.Text(options, "topic", "devices/{device}/measurements");
        var connections = LoadCommand.Int(options, "connections", 64);
        var inflight = LoadCommand.Int(options, "inflight", 4);
        var qos = LoadCommand.Int(options, "qos", 1);
        var version = MqttVersions.Parse(LoadCommand.Text(options, "mqtt-version", "5"));
        return LoadCommand.Text(options, "mqtt-client", "raw") switch
        {
            "raw" => new RawNumberedMqttLoad(host, port, token, Devices(options), topic, connections, inflight, qos, version, LoadCommand.Int(options, "batch", 64)),
            "mqttnet" when version == MqttVersion.V500 => new NumberedMqttLoad(host, port, token, Devices(options), topic, connections, inflight, qos),
            "mqttnet" => throw new ArgumentException("--mqtt-client mqttnet speaks MQTT 5 only"),
            var other => throw new ArgumentException($"--mqtt-client must be raw or mqttnet, not {other}"),
        };
    }

    /// <summary>
    /// <c>--measurements devices</c>: only the measurements of this run's devices are counted and read back, so that
    /// several loads into one database (ops/bench/soak.sh) each check their own points; all of them otherwise.
    /// </summary>
    private static string Measurements(IReadOnlyDictionary<string, string> options) =>
        LoadCommand.Text(options, "measurements", "all") switch
        {
            "all" => "/.*/",
            "devices" => InfluxEndpoint.MeasurementsOf(Devices(options)),
            var other => throw new ArgumentException($"--measurements must be all or devices, not {other}"),
        };

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
            catch (Exception e) when (e is InvalidOperationException or MQTTnet.Exceptions.MqttCommunicationException or SocketException && DateTime.UtcNow < until)
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
