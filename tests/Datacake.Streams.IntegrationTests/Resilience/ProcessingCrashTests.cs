using System.Diagnostics;
using System.Globalization;
using System.Text;
using Datacake.Streams.Access;
using Datacake.Streams.Ids;
using Datacake.Streams.Influx.Client;
using Datacake.Streams.Influx.Querying;
using Datacake.Streams.Ingest.Publishing;
using Datacake.Streams.IntegrationTests.Host.Hosting;
using Datacake.Streams.IntegrationTests.Services;
using Datacake.Streams.Log.Kafka;
using Datacake.Streams.Records;
using Xunit.Abstractions;
using Datacake.Streams.TestSupport.Reliability;

namespace Datacake.Streams.IntegrationTests.Resilience;

/// <summary>
/// Acceptance (issue #5, crash): the processing role, the real executable alone in its process (roles = process,
/// record log = Kafka), is killed with SIGKILL at 20 random moments while 100,000 uniquely numbered values stream
/// into dcs.raw; each time it restarts on the same data folder, as a service manager would restart it. The record log
/// (librdkafka's mock cluster, held by this test) survives every kill. Afterwards InfluxDB holds every value exactly
/// once: count(v) = 100,000 and the set of values is 0..99,999.
/// </summary>
/// <remarks>
/// The kill moments come from a seeded <see cref="Random"/>; the seed is printed and named in every failure
/// message. Rerun one with <c>DCS_CRASH_SEED=&lt;seed&gt;</c>.
/// </remarks>
[Collection(ResilienceCollection.Name)]
public sealed class ProcessingCrashTests(ITestOutputHelper output)
{
    private const int Values = 100_000;
    private const int Kills = 20;

    // Spread over the 16 partitions of dcs.raw (keys hash by murmur2), so every substream of the pipeline works.
    private const int Devices = 64;

    // Each run of the node releases 1/21 of the values (4,762), which stream in at 1,500/s for ~3.2 s: longer than the
    // latest kill moment (2 s), so every kill strikes while values stream in.
    private const int ValuesPerSecond = 1_500;

    // A kill lands within this long after the restarted node owns partitions: while it reads, writes, saves state
    // or commits the backlog that piled up while it was down.
    private static readonly TimeSpan LatestKill = TimeSpan.FromMilliseconds(2_000);

    private static readonly TimeSpan RestartDeadline = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan DrainDeadline = TimeSpan.FromSeconds(90);

    [Fact]
    [Trait("Reliability", "crash-mid-batch")]
    public async Task Killing_the_processing_role_20_times_while_values_stream_in_stores_each_value_exactly_once()
    {
        var seed = Seed();
        output.WriteLine($"seed {seed} (rerun with DCS_CRASH_SEED={seed})");
        var random = new Random(seed);
        var clock = Stopwatch.StartNew();

        var influxOptions = await NumberedValues.SharedInfluxAsync("crash_" + Guid.NewGuid().ToString("N")[..12]);
        using var influx = new InfluxClient(influxOptions);
        using var nodes = new ScaledOutNodes(influxOptions);
        await using var log = new KafkaRecordLog(nodes.Kafka.LogOptions());
        var data = Directory.CreateTempSubdirectory("dcs-crash-");
        using var stopping = new CancellationTokenSource();
        var producer = Task.CompletedTask;
        try
        {
            var (devices, token) = await NumberedValues.RegisterAsync(new RegistryPublisher(log, nodes.Codec), "ws_crash", Devices);
            var appender = new RawRecordAppender(log, nodes.Signer);
            var stored = new StoredValues(influx);

            var runs = 0;
            var produced = 0L;
            producer = ProduceAsync(appender, devices, token, () => Volatile.Read(ref runs), p => Volatile.Write(ref produced, p), stopping.Token);

            var producedAtKill = new List<long>();
            for (var kill = 1; kill <= Kills; kill++)
            {
                var node = await nodes.StartNodeAsync("process", data.FullName, waitUntilHealthy: false);
                try
                {
                    var started = clock.Elapsed;
                    await WaitUntilConsumingAsync(node, producer, seed);
                    var consuming = clock.Elapsed;
                    Volatile.Write(ref runs, kill);

                    // The kill moment is the scenario itself: a random point of the run, watched in 10 ms steps.
                    var moment = TimeSpan.FromMilliseconds(random.Next(0, (int)LatestKill.TotalMilliseconds));
                    while (clock.Elapsed - consuming < moment)
                    {
                        Assert.False(node.HasExited, $"seed {seed}: the processing node ended by itself before kill {kill}:\n{Tail(node.Output)}");
                        await Task.Delay(10);
                    }

                    node.Kill();
                    var killedAt = clock.Elapsed;
                    var atKill = Volatile.Read(ref produced);
                    producedAtKill.Add(atKill);
                    var storedAtKill = await stored.CountAsync();
                    output.WriteLine(string.Create(
                        CultureInfo.InvariantCulture,
                        $"kill {kill,2} at {killedAt.TotalSeconds,6:0.0} s: started {started.TotalSeconds:0.0} s, consuming after {(consuming - started).TotalSeconds:0.0} s, killed {moment.TotalMilliseconds:0} ms later; {atKill} values produced, {storedAtKill} stored"));
                }
                finally
                {
                    await node.DisposeAsync();
                }

            }

            await using var survivor = await nodes.StartNodeAsync("process", data.FullName, waitUntilHealthy: false);
            await WaitUntilConsumingAsync(survivor, producer, seed);
            Volatile.Write(ref runs, Kills + 1);
            await producer;
            var drained = await Polling.UntilAsync(async () => await stored.CountAsync() >= Values, DrainDeadline);
            var storedAtEnd = await stored.CountAsync();
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{Values} produced; {storedAtEnd} stored at {clock.Elapsed.TotalSeconds:0.0} s"));
            Assert.True(drained, $"seed {seed}: InfluxDB holds {await stored.CountAsync()} of {Values} values {DrainDeadline} after the last restart:\n{Tail(survivor.Output)}");

            // Every kill struck while the values its run released were still streaming in.
            Assert.Equal(Kills, producedAtKill.Count);
            for (var kill = 1; kill <= Kills; kill++)
            {
                var released = (long)Values * kill / (Kills + 1);
                Assert.True(producedAtKill[kill - 1] < released, $"seed {seed}: kill {kill} came after the {released} values released so far were all produced");
            }

            await stored.AssertExactlyAsync(Values, $"seed {seed}, after {Kills} kills");
            ReliabilityRecorder.Record("crash-mid-batch", new ReliabilityNumbers
            {
                Sent = Values,
                Acknowledged = Values,
                Stored = Values,
                Lost = 0,
                Duplicated = 0,
                Note = $"{Kills} SIGKILLs, seed {seed}",
            });
        }
        finally
        {
            // Also when an assertion failed: the producer stops before the log it appends to is disposed.
            await stopping.CancelAsync();
            await Task.WhenAny(producer);
            await influx.ExecuteAsync($"DROP DATABASE {InfluxQl.QuoteIdentifier(influxOptions.Database)}");
            data.Delete(recursive: true);
        }
    }

    private static int Seed() =>
        int.TryParse(Environment.GetEnvironmentVariable("DCS_CRASH_SEED"), CultureInfo.InvariantCulture, out var seed) ? seed : Random.Shared.Next();

    /// <summary>
    /// Appends value i (field v = i) for device i mod 64, received at base + i ms (distinct point times), at
    /// <see cref="ValuesPerSecond"/>. Each run of the node releases another 1/21 of the values when it starts consuming
    /// (~3.2 s of streaming): the kill, at most 2 s later, strikes while values stream in, and the rest of the chunk
    /// piles up while the node is down, for its successor to catch up on.
    /// </summary>
    private static async Task ProduceAsync(
        RawRecordAppender appender,
        DeviceId[] devices,
        TokenHash token,
        Func<int> runsSoFar,
        Action<long> report,
        CancellationToken cancellationToken)
    {
        const int step = 256;
        var baseTime = DateTimeOffset.UtcNow.AddMinutes(-10);
        var pending = new List<Task<AppendOutcome>>(step);
        var last = Stopwatch.GetTimestamp();
        var credit = 0.0;
        var next = 0;
        while (next < Values)
        {
            // Credit accrues at the rate while waiting for the next chunk too, but never more than one step of it: a
            // released chunk streams at the rate instead of arriving at once.
            var now = Stopwatch.GetTimestamp();
            credit = Math.Min(step, credit + (Stopwatch.GetElapsedTime(last, now).TotalSeconds * ValuesPerSecond));
            last = now;
            var quota = (long)Values * runsSoFar() / (Kills + 1);
            var count = (int)Math.Min(Math.Min(quota - next, (long)credit), step);
            if (count <= 0)
            {
                // Pacing, not synchronisation: the next values are due in a few milliseconds.
                await Task.Delay(10, cancellationToken);
                continue;
            }

            credit -= count;
            for (var upTo = next + count; next < upTo; next++)
            {
                pending.Add(appender.AppendAsync(NumberedValues.Record(next, devices[next % devices.Length], token, baseTime), cancellationToken).AsTask());
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
    private static async Task WaitUntilConsumingAsync(HostProcess node, Task producer, int seed)
    {
        var deadline = DateTime.UtcNow + RestartDeadline;
        while (true)
        {
            if (node.HasExited)
            {
                Assert.Fail($"seed {seed}: the processing node exited with {node.ExitCode} at start:\n{Tail(node.Output)}");
            }

            if (producer.IsFaulted)
            {
                await producer;
            }

            if (await ProcessingReadiness.ReadAsync(node) is { Partitions.Count: > 0 })
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"seed {seed}: the restarted processing node owned no partition within {RestartDeadline}:\n{Tail(node.Output)}");
            }

            await Task.Delay(50);
        }
    }


    private static string Tail(string text) => string.Join('\n', text.Split('\n').TakeLast(60));
}
