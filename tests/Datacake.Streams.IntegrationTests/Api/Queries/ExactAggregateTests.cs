using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using CsCheck;
using Datacake.Streams.Api.Access;
using Datacake.Streams.Api.Queries;
using Datacake.Streams.Api.Retention;
using Datacake.Streams.Ids;
using Datacake.Streams.Influx.Querying;
using Datacake.Streams.Storage;
using Datacake.Streams.TestSupport;
using Microsoft.Extensions.Time.Testing;

namespace Datacake.Streams.IntegrationTests.Api.Queries;

/// <summary>
/// Issue 18 part 1 on the real host (Kestrel) and influxd: <c>/v1/devices/{id}/series</c> and the InfluxDB-compatible
/// <c>/query</c> (the InfluxQL Grafana sends) answer what the same aggregate over raw answers, for points late by up to raw's retention and points of the current window, before and
/// after refreshes. Points are written as processing writes them (a late one with its mark in the same request,
/// <see cref="QueryApiHost.WriteAsProcessingAsync"/>); refreshes are driven explicitly, the refresher's clock moved
/// past <see cref="RollupMarks.ConsumeAfter"/> by a FakeTimeProvider so that it takes the marks.
/// </summary>
public sealed class ExactAggregateTests
{
    private static readonly string[] s_aggregates = ["mean", "min", "max", "sum", "count"];
    private static readonly TimeSpan[] s_windows = [TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(10), TimeSpan.FromHours(1), TimeSpan.FromHours(2)];

    // Ages of points: in the current window (0-20 s), recent (40 s - 6 h) and late (1-29 days, raw holds 30).
    // Never 20-40 s: the refresher's clock is moved 61 s ahead to take marks, which shrinks its settle margin by that.
    private static readonly Gen<TimeSpan> s_age = Gen.OneOf(
        Gen.Int[0, 20].Select(s => TimeSpan.FromSeconds(s)),
        Gen.Int[40, 6 * 3600].Select(s => TimeSpan.FromSeconds(s)),
        Gen.Int[86_400, 29 * 86_400].Select(s => TimeSpan.FromSeconds(s)));

    private static readonly Gen<(TimeSpan Age, double Value)> s_point = Gen.Select(s_age, Gen.Int[-500, 500].Select(v => v / 4.0));

    // A query: which point it is anchored on, window, aggregate, and start/length in windows (a start off the grid too).
    private static readonly Gen<(int Anchor, int Window, int Aggregate, int StartSeconds, int Windows)> s_query =
        Gen.Select(Gen.Int[0, 1000], Gen.Int[0, s_windows.Length - 1], Gen.Int[0, s_aggregates.Length - 1], Gen.Int[-7200, 600], Gen.Int[1, 300]);

    [Fact]
    public async Task Series_answer_the_same_aggregate_as_raw_before_and_after_refreshes()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using QueryApiHost host = await QueryApiHost.StartAsync(clock: clock);
        await RefreshAsync(host, clock);
        int compared = 0;
        await Gen.Select(s_point.Array[1, 24], s_point.Array[1, 8], s_query.Array[4, 4]).SampleAsync(
            async (first, second, queries) =>
            {
                DeviceId device = DeviceId.New();
                string token = "t" + device;
                host.Access.Grant(token, new ReadableDevice(device, "d", "w", "W"));
                using HttpClient client = host.Client(token);
                var times = new List<DateTimeOffset>();
                await WriteAsync(host, device, first, times);
                compared += await CompareAsync(host, client, device, queries, times, "first points, no refresh");
                await RefreshAsync(host, clock);
                compared += await CompareAsync(host, client, device, queries, times, "after a refresh");

                // Later still: more points (late ones marked), before and after the refresh that takes their marks.
                await WriteAsync(host, device, second, times);
                compared += await CompareAsync(host, client, device, queries, times, "second points, no refresh");
                await RefreshAsync(host, clock);
                compared += await CompareAsync(host, client, device, queries, times, "after the second refresh");
            },
            iter: 8,
            threads: 1);

        // The property compared windows with data, not only empty answers.
        Assert.True(compared > 50, $"only {compared} windows compared");
    }

    [Fact]
    public async Task Four_points_twenty_minutes_ago_answer_every_10m_mean_before_and_after_the_refresh()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using QueryApiHost host = await QueryApiHost.StartAsync(clock: clock);
        await RefreshAsync(host, clock);
        (DeviceId device, HttpClient client) = Device(host);
        using HttpClient _ = client;
        // 19-29 minutes ago, a minute into a 10-minute window: the four points (3 s apart at most) share one window
        // whatever the clock reads (from now - 20 min they straddled a window edge when it fell in their 3 s; CI met it).
        DateTimeOffset at = QueryTime.FloorTo(DateTimeOffset.UtcNow.AddMinutes(-20), TimeSpan.FromMinutes(10)).AddMinutes(1);
        await host.WriteAsProcessingAsync([.. new[] { 1.0, 2.0, 3.0, 6.0 }.Select((v, i) => (device, at.AddSeconds(i), new[] { ("t", v) }))]);
        DateTimeOffset from = QueryTime.FloorTo(DateTimeOffset.UtcNow.AddHours(-1), TimeSpan.FromMinutes(10));
        string query = $"fields=t&from={QueryApiTests.Ms(from)}&to={QueryApiTests.Ms(DateTimeOffset.UtcNow)}&every=10m&agg=mean";

        SeriesAnswer before = await SeriesAsync(client, device, query);
        Assert.Equal("m1", before.Tier);
        Assert.Equal(3.0, Assert.Single(before.Series[0].Points).Values["t"].GetDouble());
        Assert.Contains(before.Segments, s => s.Tier == "raw");

        await RefreshAsync(host, clock);
        SeriesAnswer after = await SeriesAsync(client, device, query);
        Assert.Equal(3.0, Assert.Single(after.Series[0].Points).Values["t"].GetDouble());
        Assert.Equal("m1", after.Segments.Single(s => s.From <= at && at < s.To).Tier);
    }

    [Fact]
    public async Task Four_points_eight_days_late_reach_m1_and_h1_and_every_answer()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using QueryApiHost host = await QueryApiHost.StartAsync(clock: clock);
        await RefreshAsync(host, clock);
        (DeviceId device, HttpClient client) = Device(host);
        using HttpClient _ = client;
        DateTimeOffset hour = QueryTime.FloorTo(DateTimeOffset.UtcNow.AddDays(-8), TimeSpan.FromHours(1));
        await host.WriteAsProcessingAsync([.. new[] { 4.0, 8.0, 10.0, 18.0 }.Select((v, i) => (device, hour.AddMinutes(10 + (i * 5)), new[] { ("t", v) }))]);
        string hourly = $"fields=t&from={QueryApiTests.Ms(hour.AddHours(-3))}&to={QueryApiTests.Ms(hour.AddHours(3))}&every=1h&agg=mean";
        string tenMinutes = $"fields=t&from={QueryApiTests.Ms(hour)}&to={QueryApiTests.Ms(hour.AddHours(1))}&every=10m&agg=count";

        SeriesAnswer before = await SeriesAsync(client, device, hourly);
        Assert.Equal("h1", before.Tier);
        Assert.Equal(10.0, Assert.Single(before.Series[0].Points).Values["t"].GetDouble());
        Assert.Equal([2, 2], (await SeriesAsync(client, device, tenMinutes)).Series[0].Points.Select(p => p.Values["t"].GetDouble()));

        await RefreshAsync(host, clock);
        Assert.Equal(0, await host.MarksLeftAsync());
        InfluxQueryResult h1 = await host.QueryAsync($"SELECT \"mean_t\", \"count_t\" FROM \"h1\".{InfluxQl.QuoteIdentifier(device.ToString())} WHERE time = {InfluxDuration.Timestamp(hour)}");
        Assert.Equal(10.0, h1.Statements[0].Series[0].GetDouble(0, "mean_t"));
        Assert.Equal(4, h1.Statements[0].Series[0].GetInt64(0, "count_t"));
        InfluxQueryResult m1 = await host.QueryAsync($"SELECT count(\"count_t\") FROM \"m1\".{InfluxQl.QuoteIdentifier(device.ToString())} WHERE time >= {InfluxDuration.Timestamp(hour)} AND time < {InfluxDuration.Timestamp(hour.AddHours(1))}");
        Assert.Equal(4, m1.Statements[0].Series[0].GetInt64(0, "count"));

        SeriesAnswer after = await SeriesAsync(client, device, hourly);
        Assert.Equal(["h1"], after.Segments.Select(s => s.Tier));
        Assert.Equal(10.0, Assert.Single(after.Series[0].Points).Values["t"].GetDouble());
        SeriesAnswer counted = await SeriesAsync(client, device, tenMinutes);
        Assert.Equal(["m1"], counted.Segments.Select(s => s.Tier));
        Assert.Equal([2, 2], counted.Series[0].Points.Select(p => p.Values["t"].GetDouble()));
    }

    [Fact]
    public async Task Minute_windows_read_from_m1_points_answer_every_fill_as_influxd_groups_raw()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using QueryApiHost host = await QueryApiHost.StartAsync(clock: clock);
        (DeviceId device, HttpClient client) = Device(host);
        using HttpClient _ = client;

        // Three hours back (rolled into m1 by the refresh), minutes 1, 2, 6 and 8 of a ten-minute range hold points; u
        // only in minutes 2 and 8, so a window has t without u (influxd counts u 0 there under fill(null)).
        DateTimeOffset at = QueryTime.FloorTo(DateTimeOffset.UtcNow.AddHours(-3), TimeSpan.FromMinutes(10));
        await host.WriteAsProcessingAsync([
            (device, at.AddSeconds(65), [("t", 1.0)]), (device, at.AddSeconds(80), [("t", 3.5)]),
            (device, at.AddSeconds(130), [("t", 5.0), ("u", 2.0)]), (device, at.AddSeconds(361), [("t", -8.25)]),
            (device, at.AddSeconds(490), [("u", 6.5)])]);
        await RefreshAsync(host, clock);
        DateTimeOffset to = at.AddMinutes(10);

        foreach (string agg in s_aggregates)
        {
            foreach (string fill in new[] { "null", "previous", "none" })
            {
                SeriesAnswer series = await SeriesAsync(client, device, $"fields=t,u&from={QueryApiTests.Ms(at)}&to={QueryApiTests.Ms(to)}&every=1m&agg={agg}&fill={fill}");
                Assert.Equal(["m1"], series.Segments.Select(s => s.Tier));
                InfluxQueryResult raw = await host.QueryAsync(
                    $"SELECT {agg}(\"t\") AS \"t\", {agg}(\"u\") AS \"u\" FROM \"raw\".{InfluxQl.QuoteIdentifier(device.ToString())} WHERE time >= {InfluxDuration.Timestamp(at)} AND time < {InfluxDuration.Timestamp(to)} GROUP BY time(1m) fill({fill})");
                InfluxSeries expected = Assert.Single(raw.Statements[0].Series);
                double? Cell(InfluxSeries s, int row, string f) => s.IsNull(row, f) ? null : s.GetDouble(row, f);
                var want = Enumerable.Range(0, expected.Values.Count)
                    .Select(row => (QueryTime.FromUnixNanoseconds(expected.GetInt64(row, "time")), Cell(expected, row, "t"), Cell(expected, row, "u")))
                    .ToList();
                double? Value(SeriesPoint p, string f) => p.Values[f].ValueKind == JsonValueKind.Null ? null : p.Values[f].GetDouble();
                var got = series.Series[0].Points.Select(p => (p.Time, Value(p, "t"), Value(p, "u"))).ToList();
                Assert.True(want.SequenceEqual(got), $"{agg} fill({fill}): influxd over raw {string.Join(", ", want)}; /series {string.Join(", ", got)}");

                string influxQl = $"SELECT {agg}(\"t\"), {agg}(\"u\") FROM \"measurements\" WHERE \"device_id\" = '{device}' AND time >= {at.ToUnixTimeMilliseconds()}ms AND time < {to.ToUnixTimeMilliseconds()}ms GROUP BY time(1m) fill({fill})";
                using HttpResponseMessage response = await client.GetAsync($"/query?db=datacake&epoch=ms&q={Uri.EscapeDataString(influxQl)}");
                JsonElement values = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("results")[0].GetProperty("series")[0].GetProperty("values");
                double? Json(JsonElement v) => v.ValueKind == JsonValueKind.Null ? null : v.GetDouble();
                var viaQuery = values.EnumerateArray().Select(v => (DateTimeOffset.FromUnixTimeMilliseconds(v[0].GetInt64()), Json(v[1]), Json(v[2]))).ToList();
                Assert.True(want.SequenceEqual(viaQuery), $"{agg} fill({fill}): influxd over raw {string.Join(", ", want)}; /query {string.Join(", ", viaQuery)}");
            }
        }
    }

    [Fact]
    [Trait("Reliability", "clock-jump-backwards")]
    public async Task After_the_clock_steps_back_an_hour_points_in_windows_rolled_before_the_step_reach_the_answers_and_the_m1_rollup()
    {
        DateTimeOffset real = DateTimeOffset.UtcNow;
        var clock = new SteppedClock(real.AddHours(1));
        await using QueryApiHost host = await QueryApiHost.StartAsync(clock: clock);
        (DeviceId device, HttpClient client) = Device(host);
        using HttpClient _ = client;

        // An hour ahead, the refresher rolls every window up to then: the next hour's windows are rolled, empty.
        RollupRefresh ahead = await host.RefreshAsync();
        Assert.True(ahead.Watermarks[StorageTier.M1] > real.AddMinutes(50), $"m1 watermark {ahead.Watermarks[StorageTier.M1]:O}");

        // Set back to the real time. Points come as devices send them: seconds old, so no rollup mark.
        clock.StepBack(TimeSpan.FromHours(1));
        DateTimeOffset now = DateTimeOffset.FromUnixTimeMilliseconds(clock.GetUtcNow().ToUnixTimeMilliseconds());
        await host.WriteAsProcessingAsync([(device, now.AddSeconds(-20), [("t", 4.0)]), (device, now.AddSeconds(-10), [("t", 6.0)])]);
        DateTimeOffset from = QueryTime.FloorTo(now.AddMinutes(-10), TimeSpan.FromMinutes(1));
        string query = $"fields=t&from={QueryApiTests.Ms(from)}&to={QueryApiTests.Ms(now.AddMinutes(5))}&every=10m&agg=";

        // The refresh after the step pulls the watermark back: those windows are read from raw again.
        RollupRefresh stepped = await host.RefreshAsync();
        Assert.True(stepped.Watermarks[StorageTier.M1] <= now.AddSeconds(-20), $"m1 watermark {stepped.Watermarks[StorageTier.M1]:O} after the step");
        Assert.True(stepped.Watermarks[StorageTier.H1] <= now.AddSeconds(-20), $"h1 watermark {stepped.Watermarks[StorageTier.H1]:O} after the step");
        Assert.Equal(2, (await SeriesAsync(client, device, query + "count")).Series[0].Points.Sum(p => p.Values["t"].GetDouble()));
        Assert.Equal(5, (await SeriesAsync(client, device, query + "mean")).Series[0].Points.Single().Values["t"].GetDouble());

        // Three minutes on, the refresh rolls them again: the m1 rollup now holds both points, and so do the answers.
        clock.Advance(TimeSpan.FromMinutes(3));
        await host.RefreshAsync();
        InfluxQueryResult m1 = await host.QueryAsync(
            $"SELECT sum(\"count_t\") AS n FROM \"m1\".{InfluxQl.QuoteIdentifier(device.ToString())} WHERE time >= {InfluxDuration.Timestamp(from)}");
        Assert.Equal(2, m1.Statements[0].Series.Single().GetDouble(0, "n"));
        Assert.Equal(2, (await SeriesAsync(client, device, query + "count")).Series[0].Points.Sum(p => p.Values["t"].GetDouble()));
    }

    /// <summary>A refresh that takes every mark written so far: the refresher's clock past their consume age.</summary>
    private static async Task RefreshAsync(QueryApiHost host, FakeTimeProvider clock)
    {
        clock.Advance(RollupMarks.ConsumeAfter + TimeSpan.FromSeconds(1));
        await host.RefreshAsync();
    }

    private static (DeviceId Device, HttpClient Client) Device(QueryApiHost host)
    {
        DeviceId device = DeviceId.New();
        host.Access.Grant("t" + device, new ReadableDevice(device, "d", "w", "W"));
        return (device, host.Client("t" + device));
    }

    private static async Task WriteAsync(QueryApiHost host, DeviceId device, (TimeSpan Age, double Value)[] points, List<DateTimeOffset> times)
    {
        DateTimeOffset now = DateTimeOffset.UtcNow;

        // Whole milliseconds (the API's time unit) and distinct times (equal times overwrite each other).
        var batch = points.Select((p, i) => (Device: device, Time: DateTimeOffset.FromUnixTimeMilliseconds((now - p.Age).ToUnixTimeMilliseconds() - i), Fields: new[] { ("t", p.Value) })).ToList();
        await host.WriteAsProcessingAsync(batch);
        times.AddRange(batch.Select(p => p.Time));
    }

    /// <summary>Runs each query through /series and as the same aggregate over raw; returns how many windows had data.</summary>
    private static async Task<int> CompareAsync(QueryApiHost host, HttpClient client, DeviceId device, (int Anchor, int Window, int Aggregate, int StartSeconds, int Windows)[] queries, List<DateTimeOffset> times, string phase)
    {
        int compared = 0;
        DateTimeOffset now = DateTimeOffset.UtcNow;
        foreach ((int anchor, int window, int aggregate, int startSeconds, int windows) in queries)
        {
            TimeSpan every = s_windows[window];
            string agg = s_aggregates[aggregate];
            DateTimeOffset from = DateTimeOffset.FromUnixTimeSeconds(times[anchor % times.Count].ToUnixTimeSeconds() + startSeconds);
            DateTimeOffset to = from + (every * windows) > now ? now : from + (every * windows);
            if (from < now.AddDays(-29) || from >= to)
            {
                continue;
            }

            string query = $"fields=t&from={QueryApiTests.Ms(from)}&to={QueryApiTests.Ms(to)}&every={InfluxDuration.Format(every)}&agg={agg}";
            SeriesAnswer answer = await SeriesAsync(client, device, query);
            Dictionary<DateTimeOffset, double> actual = answer.Series[0].Points
                .Where(p => p.Values.TryGetValue("t", out JsonElement v) && v.ValueKind == JsonValueKind.Number)
                .ToDictionary(p => p.Time, p => p.Values["t"].GetDouble());
            InfluxQueryResult raw = await host.QueryAsync(
                $"SELECT {agg}(\"t\") AS \"t\" FROM \"raw\".{InfluxQl.QuoteIdentifier(device.ToString())} WHERE time >= {InfluxDuration.Timestamp(from)} AND time < {InfluxDuration.Timestamp(to)} GROUP BY time({InfluxDuration.Format(every)}) fill(none)");
            var expected = new Dictionary<DateTimeOffset, double>();
            foreach (InfluxSeries series in raw.Statements[0].Series)
            {
                for (int row = 0; row < series.Values.Count; row++)
                {
                    expected[QueryTime.FromUnixNanoseconds(series.GetInt64(row, "time"))] = series.GetDouble(row, "t");
                }
            }

            string context = string.Create(CultureInfo.InvariantCulture, $"{phase}: {query}; segments {string.Join(", ", answer.Segments.Select(s => $"{s.Tier} {s.From:O}..{s.To:O}"))}; expected {string.Join(", ", expected.Select(e => $"{e.Key:O}={e.Value}"))}; actual {string.Join(", ", actual.Select(e => $"{e.Key:O}={e.Value}"))}");
            Assert.True(expected.Keys.Order().SequenceEqual(actual.Keys.Order()), context);
            foreach ((DateTimeOffset time, double value) in expected)
            {
                Assert.True(Math.Abs(value - actual[time]) <= 1e-9 * Math.Max(1, Math.Abs(value)), context);
            }

            // The same through /query, as Grafana's InfluxDB datasource asks it (epoch-ms time literals, epoch=ms).
            string influxQl = string.Create(
                CultureInfo.InvariantCulture,
                $"SELECT {agg}(\"t\") FROM \"measurements\" WHERE \"device_id\" = '{device}' AND time >= {from.ToUnixTimeMilliseconds()}ms AND time < {to.ToUnixTimeMilliseconds()}ms GROUP BY time({InfluxDuration.Format(every)}) fill(none)");
            using HttpResponseMessage response = await client.GetAsync($"/query?db=datacake&epoch=ms&q={Uri.EscapeDataString(influxQl)}");
            JsonElement result = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("results")[0];
            Assert.False(result.TryGetProperty("error", out JsonElement error), $"{influxQl}: {error}");
            var viaQuery = result.TryGetProperty("series", out JsonElement querySeries)
                ? querySeries[0].GetProperty("values").EnumerateArray().ToDictionary(v => DateTimeOffset.FromUnixTimeMilliseconds(v[0].GetInt64()), v => v[1].GetDouble())
                : [];
            string queryContext = $"{context}; /query {influxQl} answered {string.Join(", ", viaQuery.Select(e => $"{e.Key:O}={e.Value}"))}";
            Assert.True(expected.Keys.Order().SequenceEqual(viaQuery.Keys.Order()), queryContext);
            foreach ((DateTimeOffset time, double value) in expected)
            {
                Assert.True(Math.Abs(value - viaQuery[time]) <= 1e-9 * Math.Max(1, Math.Abs(value)), queryContext);
            }

            compared += expected.Count;
        }

        return compared;
    }

    private static async Task<SeriesAnswer> SeriesAsync(HttpClient client, DeviceId device, string query)
    {
        using HttpResponseMessage response = await client.GetAsync($"/v1/devices/{device}/series?{query}");
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {body}");
        return JsonSerializer.Deserialize<SeriesAnswer>(body, JsonSerializerOptions.Web)!;
    }
}
