using System.Diagnostics;
using System.Globalization;
using Datacake.Streams.Access;
using Datacake.Streams.Ids;
using Datacake.Streams.Influx.Client;
using Datacake.Streams.Influx.Querying;
using Datacake.Streams.Ingest.Publishing;
using Datacake.Streams.IntegrationTests.Host.Hosting;
using Datacake.Streams.Log.Kafka;
using Datacake.Streams.RecordLog;
using Datacake.Streams.TestSupport.Reliability;
using Xunit.Abstractions;

namespace Datacake.Streams.IntegrationTests.Resilience;

/// <summary>
/// Issue 19, rebalance storm: processing nodes (the real executable, roles = process, record log = Kafka on
/// librdkafka's mock cluster) join and leave the consumer group every 1.5-4 s while a producer appends uniquely
/// numbered values; a leave is a SIGTERM (the node drains, commits and leaves the group) or, one in three, a SIGKILL
/// (the group notices when the session times out). Up to three nodes run at once, each on one of three data folders
/// that a later node reuses, so a partition comes back to a node whose partition state is older than the commit.
/// Afterwards InfluxDB holds every acknowledged value exactly once.
/// </summary>
/// <remarks>
/// 30 s of storm in CI (~45 s with start and drain); <c>DCS_REBALANCE_STORM_SECONDS</c> sets another length (the reliability runner's
/// <c>--slow</c> runs 600 s). The moments come from a seeded <see cref="Random"/>: rerun one with
/// <c>DCS_STORM_SEED=&lt;seed&gt;</c>.
/// </remarks>
[Collection(ResilienceCollection.Name)]
public sealed class RebalanceStormTests(ITestOutputHelper output)
{
    public const string Row = "rebalance-storm";

    private const int Devices = 64;
    private const int Slots = 3;
    private const int ValuesPerSecond = 500;

    private static readonly TimeSpan DefaultStorm = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan LeaveDeadline = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan JoinDeadline = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan DrainDeadline = TimeSpan.FromSeconds(120);

    [Fact]
    [Trait("Reliability", "rebalance-storm")]
    public async Task Processors_joining_and_leaving_every_few_seconds_store_every_acknowledged_value_exactly_once()
    {
        var storm = Storm();
        var seed = int.TryParse(Environment.GetEnvironmentVariable("DCS_STORM_SEED"), CultureInfo.InvariantCulture, out var s) ? s : Random.Shared.Next();
        output.WriteLine($"seed {seed} (rerun with DCS_STORM_SEED={seed}), storm {storm.TotalSeconds:0} s");
        var random = new Random(seed);
        var clock = Stopwatch.StartNew();

        var influxOptions = await NumberedValues.SharedInfluxAsync("storm_" + Guid.NewGuid().ToString("N")[..12]);
        using var influx = new InfluxClient(influxOptions);
        using var nodes = new ScaledOutNodes(influxOptions);
        await using var log = new KafkaRecordLog(nodes.Kafka.LogOptions());
        var folders = Enumerable.Range(0, Slots).Select(_ => Directory.CreateTempSubdirectory("dcs-storm-")).ToArray();
        var running = new HostProcess?[Slots];
        var leaving = new Task?[Slots];
        using var stopping = new CancellationTokenSource();
        var producer = Task.CompletedTask;
        var acknowledged = 0L;
        var (joins, leaves, kills) = (0, 0, 0);
        try
        {
            var (devices, token) = await NumberedValues.RegisterAsync(new RegistryPublisher(log, nodes.Codec), "ws_storm", Devices);
            var appender = new RawRecordAppender(log, nodes.Signer);
            var stored = new StoredValues(influx);

            running[0] = await nodes.StartNodeAsync("process", folders[0].FullName, waitUntilHealthy: false);
            joins++;
            await WaitUntilConsumingAsync(running[0]!, seed);
            producer = ProduceAsync(appender, devices, token, a => Volatile.Write(ref acknowledged, a), stopping.Token);

            var stormStarted = clock.Elapsed;
            while (clock.Elapsed - stormStarted < storm)
            {
                // Pacing of the scenario itself: the next join or leave is due 1.5-4 s from now.
                await Task.Delay(TimeSpan.FromMilliseconds(random.Next(1_500, 4_000)));
                if (producer.IsFaulted)
                {
                    await producer;
                }

                for (var slot = 0; slot < Slots; slot++)
                {
                    var node = running[slot];
                    Assert.False(node is not null && leaving[slot] is null && node.HasExited,
                        $"seed {seed}: the node on slot {slot} ended by itself:\n{Tail(node?.Output ?? string.Empty)}");
                    if (leaving[slot] is { IsCompleted: true } left)
                    {
                        await left;
                        await running[slot]!.DisposeAsync();
                        (running[slot], leaving[slot]) = (null, null);
                    }
                }

                var live = Enumerable.Range(0, Slots).Where(i => running[i] is not null && leaving[i] is null).ToArray();
                var free = Enumerable.Range(0, Slots).Where(i => running[i] is null).ToArray();
                var join = free.Length > 0 && (live.Length <= 1 || random.Next(2) == 0);
                if (join)
                {
                    var slot = free[random.Next(free.Length)];
                    running[slot] = await nodes.StartNodeAsync("process", folders[slot].FullName, waitUntilHealthy: false);
                    joins++;
                    output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{clock.Elapsed.TotalSeconds,6:0.0} s: join on slot {slot}; {Volatile.Read(ref acknowledged)} acknowledged"));
                }
                else if (live.Length > 1)
                {
                    var slot = live[random.Next(live.Length)];
                    var node = running[slot]!;
                    var kill = random.Next(3) == 0;
                    leaving[slot] = kill ? Task.Run(node.Kill) : node.TerminateAsync(LeaveDeadline);
                    leaves++;
                    kills += kill ? 1 : 0;
                    output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{clock.Elapsed.TotalSeconds,6:0.0} s: {(kill ? "kill" : "leave")} of slot {slot}; {Volatile.Read(ref acknowledged)} acknowledged"));
                }
            }

            await stopping.CancelAsync();
            await producer.ContinueWith(_ => { }, TaskScheduler.Default);
            Assert.False(producer.IsFaulted, $"seed {seed}: the producer failed: {producer.Exception}");
            var acked = Volatile.Read(ref acknowledged);

            // The storm ends with the nodes still in the group; one that consumes drains the rest.
            var survivor = Enumerable.Range(0, Slots).First(i => running[i] is not null && leaving[i] is null);
            await WaitUntilConsumingAsync(running[survivor]!, seed);
            var drained = await Polling.UntilAsync(async () => await stored.CountAsync() >= acked, DrainDeadline);
            var storedAtEnd = await stored.CountAsync();
            var summary = string.Create(CultureInfo.InvariantCulture, $"{joins} joins, {leaves} leaves ({kills} by SIGKILL) in {storm.TotalSeconds:0} s");
            output.WriteLine($"{acked} acknowledged, {storedAtEnd} stored; {summary}");
            Assert.True(drained, $"seed {seed}: InfluxDB holds {storedAtEnd} of {acked} acknowledged values {DrainDeadline} after the storm ({summary})");
            await stored.AssertExactlyAsync(acked, $"seed {seed}, {summary}");

            ReliabilityRecorder.Record(Row, new ReliabilityNumbers
            {
                Sent = acked,
                Acknowledged = acked,
                Stored = storedAtEnd,
                Lost = 0,
                Duplicated = 0,
                Note = summary,
            });
        }
        finally
        {
            // Also when an assertion failed: the producer stops before the log it appends to is disposed.
            await stopping.CancelAsync();
            await Task.WhenAny(producer);
            for (var slot = 0; slot < Slots; slot++)
            {
                if (running[slot] is { } node)
                {
                    await node.DisposeAsync();
                }

                folders[slot].Delete(recursive: true);
            }

            await influx.ExecuteAsync($"DROP DATABASE {InfluxQl.QuoteIdentifier(influxOptions.Database)}");
        }
    }

    private static TimeSpan Storm() =>
        int.TryParse(Environment.GetEnvironmentVariable("DCS_REBALANCE_STORM_SECONDS"), CultureInfo.InvariantCulture, out var seconds) && seconds > 0
            ? TimeSpan.FromSeconds(seconds)
            : DefaultStorm;

    /// <summary>Appends value i for device i mod 64 at <see cref="ValuesPerSecond"/> until stopped; reports how many the log acknowledged durable.</summary>
    private static async Task ProduceAsync(RawRecordAppender appender, DeviceId[] devices, TokenHash token, Action<long> report, CancellationToken cancellationToken)
    {
        const int step = 50;
        var baseTime = DateTimeOffset.UtcNow.AddMinutes(-10);
        var started = Stopwatch.StartNew();
        var next = 0;
        var pending = new List<Task<AppendOutcome>>(step);
        while (!cancellationToken.IsCancellationRequested)
        {
            var due = (int)(started.Elapsed.TotalSeconds * ValuesPerSecond);
            if (due - next < step)
            {
                // Pacing, not synchronisation: the next values are due in a few milliseconds.
                await Task.Delay(20, CancellationToken.None);
                continue;
            }

            for (var upTo = next + step; next < upTo; next++)
            {
                // Not cancelled midway: a value appended is counted only once the log says it is durable.
                pending.Add(appender.AppendAsync(NumberedValues.Record(next, devices[next % devices.Length], token, baseTime), CancellationToken.None).AsTask());
            }

            var outcomes = await Task.WhenAll(pending);
            pending.Clear();
            if (outcomes.Any(o => o != AppendOutcome.Durable))
            {
                throw new InvalidOperationException("the Kafka mock refused an append");
            }

            report(next);
        }
    }

    /// <summary>Until the node's pipeline owns partitions (it has loaded state and joined the group).</summary>
    private static async Task WaitUntilConsumingAsync(HostProcess node, int seed)
    {
        var consuming = await Polling.UntilAsync(async () => node.HasExited || await ProcessingReadiness.ReadAsync(node) is { Partitions.Count: > 0 }, JoinDeadline);
        Assert.False(node.HasExited, $"seed {seed}: the processing node exited with {(node.HasExited ? node.ExitCode : 0)}:\n{Tail(node.Output)}");
        Assert.True(consuming, $"seed {seed}: the processing node owned no partition within {JoinDeadline}:\n{Tail(node.Output)}");
    }


    private static string Tail(string text) => string.Join('\n', text.Split('\n').TakeLast(60));
}
