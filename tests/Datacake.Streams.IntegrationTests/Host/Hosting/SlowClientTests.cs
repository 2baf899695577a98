using System.Diagnostics;
using System.Globalization;
using System.Net;
using Datacake.Streams.IntegrationTests.Services;

namespace Datacake.Streams.IntegrationTests.Host.Hosting;

/// <summary>
/// Slow clients against the real executable with Debian's <c>slowhttptest</c>: hundreds of connections that trickle
/// header lines and never finish a request (slowloris, -H), or send complete headers and then a body a few bytes a
/// second (-B). The host closes them (<c>Streams:RequestHeadersTimeout</c>; Kestrel's minimum body rate and drain
/// limit), and a normal client, opening a new connection per request meanwhile, keeps being served. Alone in its collection (run
/// after the parallel tests): 400 connections and their timeouts load the two cores, and the latency measured is the
/// attack's effect, not the rest of the suite's (run beside the end-to-end collection it starved that one's host).
/// </summary>
[Collection(nameof(SlowClientTests))]
[CollectionDefinition(nameof(SlowClientTests), DisableParallelization = true)]
public sealed class SlowClientTests
{
    private const int SlowConnections = 400;

    [Fact]
    [Trait("Reliability", "slowloris")]
    public async Task Slowloris_connections_are_closed_after_the_header_timeout_and_a_normal_client_keeps_being_served()
    {
        // -H: header lines trickled, a request never finished; closed by Streams:RequestHeadersTimeout (3 s here).
        await AttackAsync(["-H"], "/healthz");
    }

    [Fact]
    [Trait("Reliability", "slowloris")]
    public async Task Slow_bodies_are_closed_and_a_normal_client_keeps_being_served()
    {
        // -B: complete headers announcing an 8 KiB body (-s) sent at most 16 bytes a second, to the HTTP ingest route
        // a device posts to; closed by Kestrel's minimum body rate (240 B/s after 5 s) or, when the answer needed no
        // body (401 here: no token), by its 5 s limit on draining the rest.
        await AttackAsync(["-B", "-s", "8192", "-t", "POST"], "/v1/devices/dev_slow_body/measurements");
    }

    /// <summary>
    /// Runs slowhttptest with <paramref name="mode"/> against the real executable while a normal client asks /healthz
    /// four times a second on fresh connections; asserts the attack's connections were held and then closed by the host,
    /// and the normal client's latency stayed within the bound: median under 250 ms, 95th percentile under 1 s, none
    /// over 3 s (a 2 s bound saw 2.06 s once under -B with another build running on the two cores).
    /// </summary>
    private static async Task AttackAsync(string[] mode, string path)
    {
        Assert.True(File.Exists("/usr/bin/slowhttptest"), $"slowhttptest is missing (Debian package slowhttptest): {ServiceEndpoints.StartHint}");
        await using var host = await HostProcess.StartAsync(new Dictionary<string, string> { ["Streams__RequestHeadersTimeout"] = "00:00:03" });
        var report = Path.Combine(host.DataDirectory, "slow-" + mode[0].TrimStart('-'));

        // -c connections opened at -r per second; follow-up data every -i s of at most -x bytes; the test runs -l s.
        var start = new ProcessStartInfo("slowhttptest")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in mode.Concat(
        [
            "-c", SlowConnections.ToString(CultureInfo.InvariantCulture), "-r", "200", "-i", "1", "-l", "12", "-x", "16", "-p", "2",
            "-g", "-o", report, "-u", $"http://127.0.0.1:{host.HttpPort}{path}",
        ]))
        {
            start.ArgumentList.Add(argument);
        }

        using var attack = Process.Start(start)!;
        var attackOutput = attack.StandardOutput.ReadToEndAsync();
        var attackError = attack.StandardError.ReadToEndAsync();

        // While it runs: a request every quarter second, each on a connection of its own (as a device waking up
        // would): a steady client, paced by a timer, not a flood of its own.
        var latencies = new List<TimeSpan>();
        using (var handler = new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.Zero })
        using (var client = new HttpClient(handler) { BaseAddress = new Uri($"http://127.0.0.1:{host.HttpPort}"), Timeout = TimeSpan.FromSeconds(10) })
        using (var pace = new PeriodicTimer(TimeSpan.FromMilliseconds(250)))
        {
            var end = DateTime.UtcNow.AddSeconds(10);
            while (DateTime.UtcNow < end && await pace.WaitForNextTickAsync())
            {
                var started = Stopwatch.GetTimestamp();
                using var request = new HttpRequestMessage(HttpMethod.Get, "/healthz");
                request.Headers.ConnectionClose = true;
                using var response = await client.SendAsync(request);
                latencies.Add(Stopwatch.GetElapsedTime(started));
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }
        }

        await attack.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        var output = await attackOutput + await attackError;
        var rows = ReadStats(report + ".csv");

        // Every slow connection was opened, and the host closed them: by the end none is held open any more.
        Assert.True(rows.Max(r => r.Connected) >= SlowConnections / 2, $"slowhttptest never held many connections: {output}");
        Assert.True(rows[^1].Closed >= SlowConnections / 2, $"the host did not close the slow connections: last row {rows[^1]}\n{output}");
        Assert.All(rows, r => Assert.True(r.ServiceAvailable, $"slowhttptest found the service unavailable at {r.Seconds} s"));
        Assert.True(latencies.Count >= 20, $"only {latencies.Count} normal requests in 10 s");
        latencies.Sort();
        Assert.True(latencies[latencies.Count / 2] < TimeSpan.FromMilliseconds(250), $"median {latencies[latencies.Count / 2].TotalMilliseconds} ms");
        Assert.True(latencies[latencies.Count * 95 / 100] < TimeSpan.FromSeconds(1), $"95th percentile {latencies[latencies.Count * 95 / 100].TotalMilliseconds} ms");
        Assert.True(latencies[^1] < TimeSpan.FromSeconds(3), $"slowest {latencies[^1].TotalMilliseconds} ms");
        Assert.False(host.HasExited);
    }

    private sealed record StatsRow(int Seconds, int Closed, int Pending, int Connected, bool ServiceAvailable);

    /// <summary>slowhttptest's CSV: Seconds,Closed,Pending,Connected,Service Available (0 or a positive count).</summary>
    private static List<StatsRow> ReadStats(string path)
    {
        Assert.True(File.Exists(path), $"slowhttptest wrote no statistics to {path}");
        var rows = new List<StatsRow>();
        foreach (var line in File.ReadLines(path).Skip(1))
        {
            var cells = line.Split(',');
            if (cells.Length < 5 || !int.TryParse(cells[0], CultureInfo.InvariantCulture, out var seconds))
            {
                continue;
            }

            rows.Add(new StatsRow(
                seconds,
                int.Parse(cells[1], CultureInfo.InvariantCulture),
                int.Parse(cells[2], CultureInfo.InvariantCulture),
                int.Parse(cells[3], CultureInfo.InvariantCulture),
                int.Parse(cells[4], CultureInfo.InvariantCulture) != 0));
        }

        Assert.NotEmpty(rows);
        return rows;
    }
}
