using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net;
using System.Text;
using Datacake.Streams.Access;
using Datacake.Streams.Influx.Client;
using Datacake.Streams.IntegrationTests.Api.Access;
using Datacake.Streams.IntegrationTests.Host.Hosting;
using Datacake.Streams.IntegrationTests.Services;
using Xunit.Abstractions;
using Datacake.Streams.TestSupport.Reliability;

namespace Datacake.Streams.IntegrationTests.Resilience;

/// <summary>
/// Acceptance (issue #5, database outage): influxd is stopped for 60 s under a steady HTTP ingest load. Ingest keeps
/// answering 2xx to every request; the processing node (its own process, roles = process) holds a bounded number of
/// records and stays under a stated memory bound while the backlog waits in the log; when influxd is back the
/// backlog drains and InfluxDB holds every value exactly once.
/// </summary>
/// <remarks>
/// The influxd is the test's own (<see cref="PrivateInfluxd"/>): the shared one on :8086 serves everyone's tests and
/// is never stopped. Nodes: ingest+api and process, the real executable each, connected by librdkafka's mock cluster.
/// </remarks>
[Collection(ResilienceCollection.Name)]
public sealed class DatabaseOutageTests(ITestOutputHelper output)
{
    private const int Devices = 8;
    private const int Workers = 8;

    // A steady 600 requests/s (~400 reached on a loaded 2-core machine): 24,000-36,000 records pile up in the log
    // during the outage, several times what the pipeline may hold, so a pipeline that kept reading would show it.
    // The mock keeps ~5 MiB per partition; ~45,000 records of ~250 B over 16 partitions stay far below that.
    private const int RequestsPerSecond = 600;

    // The processing node's read-ahead and batch size, a fifth of the defaults (4,096 and 5,000): the same code and
    // the same bound, small enough that the backlog of a 60 s outage on a loaded machine exceeds it several times.
    private const int ReadAhead = 1_024;
    private const int BatchSize = 1_000;
    private const int WriteParallelism = 2;

    /// <summary>
    /// What the processing node may hold in flight (records read, not yet written and committed): the read-ahead
    /// channel and the one record the consumer thread holds when it is full; one batch filling or waiting for the
    /// writer plus WriteParallelism batches being written; Akka's stream buffers, 16 elements per async boundary and
    /// per merged substream (2 × 16 per partition).
    /// </summary>
    private const long InFlightBound = ReadAhead + 1 + ((WriteParallelism + 1) * BatchSize) + (2 * 16 * ScaledOutNodes.RawPartitions);

    /// <summary>
    /// 400 MiB resident for the processing node. Measured here (2026-11-29, load average ~45): 173-176 MiB at the end of
    /// the outage, the node alone (runtime, ASP.NET Core, Akka, librdkafka, Jint, Server GC on 2 cores) being most of
    /// it; the records it may hold (≤ InFlightBound ≈ 4,500, ~1 KiB each with raw bytes and line protocol) add a few
    /// MiB. 400 leaves room for GC timing on a loaded machine; a pipeline that kept reading the backlog is caught
    /// sooner by InFlightBound (before the fix in BatchStage it held all 25,000 records of the outage).
    /// </summary>
    private const long MemoryBoundBytes = 400L * 1024 * 1024;

    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan LoadBeforeAndAfter = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);

    private readonly ConcurrentDictionary<HttpStatusCode, int> _outageStatuses = new();
    private readonly ConcurrentQueue<string> _failures = new();
    private long _issued;
    private volatile Phase _phase = Phase.Before;

    private enum Phase
    {
        Before,
        Outage,
        After,
    }

    [Fact]
    [Trait("Reliability", "influx-down")]
    public async Task Ingest_accepts_processing_stays_bounded_and_nothing_is_lost_when_influxd_is_down_for_60_s()
    {
        var clock = Stopwatch.StartNew();
        await using var influxd = await PrivateInfluxd.StartAsync();
        var influxOptions = influxd.Options("outage_" + Guid.NewGuid().ToString("N")[..12]);
        using var influx = new InfluxClient(influxOptions);
        var stored = new StoredValues(influx);
        using var nodes = new ScaledOutNodes(influxOptions);
        var operatorToken = AccessToken.New().Secret;
        var ingestStart = nodes.StartNodeAsync("ingest,api", extra: new Dictionary<string, string> { ["DCS_OPERATOR_TOKEN"] = operatorToken });
        var processingStart = nodes.StartNodeAsync("process", extra: new Dictionary<string, string>
        {
            ["Processing__ReadAhead"] = ReadAhead.ToString(CultureInfo.InvariantCulture),
            ["Processing__BatchSize"] = BatchSize.ToString(CultureInfo.InvariantCulture),
            ["Processing__WriteParallelism"] = WriteParallelism.ToString(CultureInfo.InvariantCulture),
        });
        await using var ingest = await ingestStart;
        await using var processing = await processingStart;
        var senders = await DevicesAsync(new ApiClient(ingest.Http), operatorToken);
        try
        {
            await WarmUpAsync(ingest.Http, senders, stored);
        }
        catch
        {
            // What the processing node said is what tells why nothing was stored.
            using var ready = await processing.GetAsOperatorAsync("/readyz");
            output.WriteLine($"--- processing node /readyz: {(int)ready.StatusCode} ---\n{await ready.Content.ReadAsStringAsync()}");
            using var metricsAnswer = await processing.GetAsOperatorAsync("/metrics");
            var metrics = await metricsAnswer.Content.ReadAsStringAsync();
            output.WriteLine("--- processing node metrics ---\n" + string.Join('\n', metrics.Split('\n').Where(l => l.StartsWith("datacake_streams_", StringComparison.Ordinal))));
            output.WriteLine("--- processing node ---\n" + string.Join('\n', processing.Output.Split('\n').TakeLast(80)));
            output.WriteLine("--- ingest node ---\n" + string.Join('\n', ingest.Output.Split('\n').TakeLast(40)));
            throw;
        }
        output.WriteLine(Line($"nodes up, devices accepted and stored at {clock.Elapsed.TotalSeconds:0.0} s"));

        var loadClock = Stopwatch.StartNew();
        using var stopLoad = new CancellationTokenSource();
        var load = Enumerable.Range(0, Workers).Select(_ => SendLoopAsync(ingest.Http, senders, loadClock, stopLoad.Token)).ToArray();
        long issuedAtStop = 0;
        long issuedDuringOutage = 0;
        long maxResident = 0;
        long maxInFlight = 0;
        var samples = 0;
        try
        {
            await Polling.WhileAsync(LoadBeforeAndAfter, () => Task.CompletedTask);

            await influxd.StopAsync();
            issuedAtStop = Interlocked.Read(ref _issued);
            _phase = Phase.Outage;
            output.WriteLine(Line($"influxd stopped at {clock.Elapsed.TotalSeconds:0.0} s; {issuedAtStop} values sent"));

            // The outage is the scenario's 60 s of wall clock, with the load running and the processing node watched.
            await Polling.WhileAsync(Outage, async () =>
            {
                Assert.False(processing.HasExited, $"the processing node died during the outage:\n{processing.Output}");
                Assert.False(ingest.HasExited, $"the ingest node died during the outage:\n{ingest.Output}");
                maxResident = Math.Max(maxResident, ProcessMemory.ResidentBytes(processing.ProcessId) ?? 0);
                if (await ProcessingReadiness.ReadAsync(processing) is { } readiness)
                {
                    maxInFlight = Math.Max(maxInFlight, readiness.InFlight);
                    samples++;
                }
            });
            issuedDuringOutage = Interlocked.Read(ref _issued) - issuedAtStop;
            var inFlightAtEnd = (await ProcessingReadiness.ReadAsync(processing))?.InFlight;
            output.WriteLine(Line($"outage over at {clock.Elapsed.TotalSeconds:0.0} s: {issuedDuringOutage} values sent during it; processing node max RSS {maxResident / 1048576.0:0} MiB, max in flight {maxInFlight} ({samples} samples), {inFlightAtEnd} at the end"));

            await influxd.StartAgainAsync();
            _phase = Phase.After;
            await Polling.WhileAsync(LoadBeforeAndAfter, () => Task.CompletedTask);
        }
        finally
        {
            // Also when an assertion above failed: no worker may outlive the test and its nodes.
            await stopLoad.CancelAsync();
            await Task.WhenAll(load);
        }

        var issued = Interlocked.Read(ref _issued);
        output.WriteLine(Line($"influxd back, load stopped at {clock.Elapsed.TotalSeconds:0.0} s; {issued} values sent in all"));

        // The lag drains: polled until InfluxDB holds as many values as were sent, asserted below.
        var drained = await Polling.UntilAsync(async () => await stored.CountAsync() >= issued, Deadline);
        output.WriteLine(Line($"stored {await stored.CountAsync()} of {issued} at {clock.Elapsed.TotalSeconds:0.0} s"));

        // Ingest: every request during the outage (and around it) was accepted.
        Assert.True(_failures.IsEmpty, $"{_failures.Count} ingest requests were not accepted, e.g.: {string.Join("; ", _failures.Take(5))}");
        Assert.True(
            _outageStatuses.Keys.All(s => (int)s is >= 200 and < 300) && _outageStatuses.Values.Sum() > 0,
            $"during the outage ingest answered {string.Join(", ", _outageStatuses.Select(s => $"{(int)s.Key}×{s.Value}"))}");

        // Processing: bounded while the backlog waited in the log.
        Assert.True(samples > 0, "the processing node's /readyz never reported its pipeline during the outage");
        Assert.True(issuedDuringOutage > InFlightBound, $"only {issuedDuringOutage} values were sent during the outage: too few to tell a bounded pipeline (≤ {InFlightBound}) from one that reads everything");
        Assert.True(maxInFlight <= InFlightBound, $"the processing node held {maxInFlight} records in flight during the outage; the bound is {InFlightBound}");
        Assert.True(maxResident > 0 && maxResident < MemoryBoundBytes, $"the processing node's RSS reached {maxResident / 1048576.0:0} MiB during the outage; the bound is {MemoryBoundBytes / 1048576} MiB");

        // The lag drained, and nothing is missing or doubled.
        Assert.True(drained, $"InfluxDB holds {await stored.CountAsync()} of {issued} values {Deadline} after influxd returned:\n{Tail(processing.Output)}");
        await stored.AssertExactlyAsync(issued, "after the outage");
        ReliabilityRecorder.Record("influx-down", new ReliabilityNumbers
        {
            Sent = issued,
            Acknowledged = issued,
            Stored = issued,
            Lost = 0,
            Duplicated = 0,
            MemoryMiB = Math.Round(maxResident / 1048576.0, 1),
            Note = $"peak RSS of the processing node during the outage; at most {maxInFlight} records in flight (bound {InFlightBound})",
        });
    }

    /// <summary>One user, their devices and a device token each, through the API as a user would make them.</summary>
    private static async Task<(string Device, string Token)[]> DevicesAsync(ApiClient api, string operatorToken)
    {
        var user = (await api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, "/v1/users", operatorToken, new { email = $"outage-{Guid.NewGuid():N}@example.test" })).Str("token");
        var workspace = (await api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/v1/me", user)).Str("homeWorkspaceId");
        var senders = new (string, string)[Devices];
        for (var i = 0; i < senders.Length; i++)
        {
            var device = (await api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/workspaces/{workspace}/devices", user, new { name = $"sensor {i}" })).Str("id");
            var token = (await api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/devices/{device}/tokens", user)).Str("token");
            senders[i] = (device, token);
        }

        return senders;
    }

    /// <summary>
    /// Values 0..7, one per device, each resent until accepted (the tokens reach ingest through dcs.registry), then
    /// until processing stored them: the flow works end to end before the load starts.
    /// </summary>
    private async Task WarmUpAsync(HttpClient ingest, (string Device, string Token)[] senders, StoredValues stored)
    {
        for (var i = 0; i < senders.Length; i++)
        {
            var value = Interlocked.Increment(ref _issued) - 1;
            var accepted = await Polling.UntilAsync(
                async () =>
                {
                    using var response = await SendAsync(ingest, senders, value);
                    return response.IsSuccessStatusCode;
                },
                Deadline);
            Assert.True(accepted, $"value {value} was not accepted within {Deadline}");
        }

        Assert.True(await Polling.UntilAsync(async () => await stored.CountAsync() >= senders.Length, Deadline), $"the warm-up values were not stored within {Deadline}");
    }

    /// <summary>One of the load's workers: takes the next value number while the load's pace allows it, sends it, records the answer.</summary>
    private async Task SendLoopAsync(HttpClient ingest, (string Device, string Token)[] senders, Stopwatch loadClock, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            var due = (long)(loadClock.Elapsed.TotalSeconds * RequestsPerSecond) + Devices;
            if (Interlocked.Read(ref _issued) >= due)
            {
                // Pacing, not synchronisation: the next request is due within a few milliseconds.
                await Task.Delay(5, CancellationToken.None);
                continue;
            }

            var value = Interlocked.Increment(ref _issued) - 1;
            var phase = _phase;
            HttpStatusCode status;
            try
            {
                using var response = await SendAsync(ingest, senders, value);
                status = response.StatusCode;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                _failures.Enqueue($"value {value} ({phase}): {e.GetType().Name}: {e.Message}");
                continue;
            }

            if (phase == Phase.Outage || _phase == Phase.Outage)
            {
                _outageStatuses.AddOrUpdate(status, 1, (_, n) => n + 1);
            }

            if ((int)status is < 200 or > 299)
            {
                _failures.Enqueue($"value {value} ({phase}): HTTP {(int)status}");
            }
        }
    }

    /// <summary>Value i: device i mod 8, its own point time (base + i ms), field v = i, Idempotency-Key v&lt;i&gt;.</summary>
    private static async Task<HttpResponseMessage> SendAsync(HttpClient ingest, (string Device, string Token)[] senders, long value)
    {
        var (device, token) = senders[value % senders.Length];
        var time = BaseTime.AddMilliseconds(value).ToString("O", CultureInfo.InvariantCulture);
        var body = string.Create(CultureInfo.InvariantCulture, $"[{{\"time\":\"{time}\",\"values\":{{\"v\":{value}}}}}]");
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/devices/{device}/measurements")
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        request.Headers.Add("Idempotency-Key", string.Create(CultureInfo.InvariantCulture, $"v{value}"));
        return await ingest.SendAsync(request);
    }

    // Point times start 10 minutes back: within the raw tier and the 5 min future skew for ~100,000 values.
    private static readonly DateTimeOffset BaseTime = DateTimeOffset.UtcNow.AddMinutes(-10);



    private static string Line(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private static string Tail(string text) => string.Join('\n', text.Split('\n').TakeLast(60));
}
