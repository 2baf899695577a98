using System.Diagnostics;
using System.Globalization;

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
              influx: [--writers 2] [--batch 5000]
              http:   --url URL --token T --devices-file F [--connections 8] [--per-request 1000]
              mqtt:   --host H --port P [--token T] --devices-file F [--topic devices/{device}/measurements]
                      [--connections 64] [--inflight 4] [--qos 1]
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
        using var influx = new InfluxEndpoint(new Uri(LoadCommand.Required(options, "influx")));
        await using var load = Create(options, database);

        // Older than now by far more than a run lasts, younger than the 30-day raw tier; ms steps keep series unique.
        var baseMs = DateTimeOffset.UtcNow.AddHours(-2).ToUnixTimeMilliseconds();

        // The whole run may take the delivery bound plus the probe, the warm-up and the read-back of every point.
        using var abort = new CancellationTokenSource(deliver + TimeSpan.FromMinutes(15));
        if (LoadCommand.Text(options, "create-db", "false") == "true")
        {
            await influx.ExecuteAsync($"CREATE DATABASE \"{database}\"", abort.Token);
        }

        Console.WriteLine($"{name}: {load.Description}; {warmup:N0} warm-up points, then {total:N0} timed points into {database}");
        await ConnectAsync(load, abort.Token);
        await ProbeAsync(load, influx, database, baseMs, abort.Token);
        var (warmupAcked, warmupSeconds) = await WarmUpAsync(load, influx, warmup, baseMs, interval, abort.Token);

        var watch = new DeliveryWatch(influx, database, interval);
        var sends = new SendLog();
        var acks = new AckedRanges();
        processes.Start();
        await watch.StartAsync(abort.Token);
        var sending = load.RunAsync(new SequenceSource(total), baseMs, sends, acks, abort.Token);
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
        var check = await DeliveryCheck.RunAsync(influx, database, acks, total, baseMs, abort.Token);
        var rate = check.Stored / Math.Max(seconds, 0.001);
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"result name={name} run={LoadCommand.Text(options, "run", "1")} points={total} acked={acks.Total} failed={acks.Failed} send_seconds={sendSeconds:0.00} seconds={seconds:0.00} rate={rate:0} stored={check.Stored} missing={check.Missing} duplicates={check.Duplicates} unacknowledged={check.Unacknowledged} misplaced={check.Misplaced} p50_ms={p50:0} p99_ms={p99:0} warmup={warmup} warmup_acked={warmupAcked} warmup_seconds={warmupSeconds:0.00} sample_ms={interval.TotalMilliseconds:0} {usage}"));
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
            "mqtt" => new NumberedMqttLoad(
                LoadCommand.Required(options, "host"), LoadCommand.Int(options, "port", 1883), options.GetValueOrDefault("token"), Devices(options),
                LoadCommand.Text(options, "topic", "devices/{device}/measurements"), LoadCommand.Int(options, "connections", 64),
                LoadCommand.Int(options, "inflight", 4), LoadCommand.Int(options, "qos", 1)),
            _ => throw new ArgumentException($"--kind must be influx, http, write or mqtt, not {kind}"),
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
