using System.Net.Http.Json;
using System.Net;
using System.Text.Json;
using Datacake.Streams.Api.Access;
using Datacake.Streams.Api.Queries;
using Datacake.Streams.Api.Retention;
using Datacake.Streams.Ids;
using Datacake.Streams.Influx.Client;
using Datacake.Streams.Influx.Querying;
using Datacake.Streams.Problems;
using Datacake.Streams.Storage;
using Datacake.Streams.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Datacake.Streams.IntegrationTests.Api.Queries;

/// <summary>Retention tiers on the real influxd: live changes, validation, the rollup refresher, late data, backfill.</summary>
public sealed class RetentionApiTests
{
    [Fact]
    public async Task Start_up_provisions_policies_with_raw_default_and_both_rollup_settings_without_continuous_queries()
    {
        await using QueryApiHost host = await QueryApiHost.StartAsync();
        Dictionary<string, (string Duration, bool Default)> policies = await PoliciesAsync(host);
        Assert.Equal(("720h0m0s", true), policies["raw"]);
        Assert.Equal(("8760h0m0s", false), policies["m1"]);
        Assert.Equal(("43800h0m0s", false), policies["h1"]);
        Assert.Equal(("336h0m0s", false), policies["meta"]);

        ObservedRetention observed = await host.Services.GetRequiredService<RetentionCatalog>().ObserveAsync(CancellationToken.None);
        Assert.Equal(TimeSpan.FromHours(2), observed.Rollups[StorageTier.M1].LookBack);
        Assert.Equal(TimeSpan.FromDays(1), observed.Rollups[StorageTier.H1].LookBack);
        Assert.Equal(TimeSpan.FromMinutes(10), observed.Rollups[StorageTier.H1].RefreshEvery);
        Assert.Empty(observed.LegacyContinuousQueries);
        Assert.Empty((await host.QueryAsync("SHOW CONTINUOUS QUERIES")).Statements[0].Series.Where(s => s.Name == host.Database).SelectMany(s => s.Values));

        // Idempotent: applying the same settings again changes nothing and backfills nothing.
        RetentionApplied again = await host.Services.GetRequiredService<RetentionProvisioner>().ApplyAsync(new RetentionSettings(), ApplyMode.Enforce, CancellationToken.None);
        Assert.True(again.Changes.Count == 0, string.Join("; ", again.Changes));
        Assert.Empty(again.Backfills);
    }

    [Fact]
    public async Task Put_changes_durations_live_and_answers_what_changed()
    {
        await using QueryApiHost host = await QueryApiHost.StartAsync();
        using HttpClient op = host.Client(QueryApiHost.OperatorToken);
        using HttpResponseMessage response = await op.PutAsJsonAsync("/v1/ops/retention", new { raw = new { duration = "14d" }, m1 = new { duration = "400d" } });
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        RetentionUpdated updated = JsonSerializer.Deserialize<RetentionUpdated>(text, JsonSerializerOptions.Web)!;
        Assert.Contains(new RetentionChange("raw.duration", "30d", "14d"), updated.Changes);
        Assert.Contains(new RetentionChange("m1.duration", "365d", "400d"), updated.Changes);
        Assert.DoesNotContain(updated.Changes, c => c.Setting.StartsWith("h1", StringComparison.Ordinal));

        Dictionary<string, (string Duration, bool Default)> policies = await PoliciesAsync(host);
        Assert.Equal(("336h0m0s", true), policies["raw"]);
        Assert.Equal(("9600h0m0s", false), policies["m1"]);

        RetentionView view = (await op.GetFromJsonAsync<RetentionView>("/v1/ops/retention", JsonSerializerOptions.Web))!;
        Assert.Equal("14d", view.Tiers["raw"].Duration);
        Assert.Equal("400d", view.Tiers["m1"].Duration);
        Assert.Equal("2h", view.Tiers["m1"].LookBack);
    }

    [Fact]
    public async Task Invalid_settings_are_400_and_change_nothing()
    {
        await using QueryApiHost host = await QueryApiHost.StartAsync();
        Dictionary<string, (string Duration, bool Default)> before = await PoliciesAsync(host);
        using HttpClient op = host.Client(QueryApiHost.OperatorToken);
        object[] bodies =
        [
            new { m1 = new { duration = "7d" } },
            new { raw = new { duration = "400d" } },
            new { h1 = new { duration = "30d" } },
            new { m1 = new { lookBack = "0s" } },
            new { m1 = new { lookBack = "400d" } },
            new { raw = new { duration = "soon" } },
            new { raw = new { lookBack = "1h" } },
            new { bogus = 1 },
        ];
        foreach (object body in bodies)
        {
            using HttpResponseMessage response = await op.PutAsJsonAsync("/v1/ops/retention", body);
            string text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{JsonSerializer.Serialize(body)} → {(int)response.StatusCode} {text}");
            Assert.Contains(ProblemTypes.InvalidRetention, text);
        }

        Assert.Equal(before, await PoliciesAsync(host));
        ObservedRetention observed = await host.Services.GetRequiredService<RetentionCatalog>().ObserveAsync(CancellationToken.None);
        Assert.Equal(TimeSpan.FromHours(2), observed.Rollups[StorageTier.M1].LookBack);
    }

    [Fact]
    public async Task Only_the_operator_reads_or_changes_retention()
    {
        await using QueryApiHost host = await QueryApiHost.StartAsync();
        host.Access.Grant("reader", new Datacake.Streams.Api.Access.ReadableDevice(DeviceId.New(), "d", "w", "W"));
        using HttpClient anonymous = host.Client(null);
        using HttpClient reader = host.Client("reader");
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/v1/ops/retention")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await reader.GetAsync("/v1/ops/retention")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await reader.PutAsJsonAsync("/v1/ops/retention", new { raw = new { duration = "2d" } })).StatusCode);
        Assert.Equal("720h0m0s", (await PoliciesAsync(host))["raw"].Duration);
    }

    [Fact]
    public async Task A_refresh_fills_m1_and_a_point_ten_minutes_late_changes_its_rollup_through_its_mark()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using QueryApiHost host = await QueryApiHost.StartAsync(clock: clock);
        DeviceId device = DeviceId.New();
        DateTimeOffset minute = QueryApiTests.WindowStart(TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(1));
        await host.WriteAsProcessingAsync([(device, minute.AddSeconds(10), [("t", 10.0)]), (device, minute.AddSeconds(20), [("t", 20.0)])]);
        await host.RefreshAsync();
        Assert.Equal((15, 2), await RollupAsync(host, device, minute));

        // Ten minutes late, after the refresh passed its minute: its mark makes the next refresh recompute the minute.
        await host.WriteAsProcessingAsync([(device, minute.AddSeconds(30), [("t", 60.0)])]);
        using HttpClient client = host.Client("t");
        host.Access.Grant("t", new Datacake.Streams.Api.Access.ReadableDevice(device, "d", "w", "W"));
        string query = $"/v1/devices/{device}/series?fields=t&from={QueryApiTests.Ms(minute)}&to={QueryApiTests.Ms(minute.AddMinutes(1))}&every=1m&agg=max";
        SeriesAnswer before = (await client.GetFromJsonAsync<SeriesAnswer>(query, JsonSerializerOptions.Web))!;
        Assert.Equal("m1", before.Tier);
        Assert.Equal(["raw"], before.Segments.Select(s => s.Tier));
        Assert.Equal(60, before.Series[0].Points.Single().Values["t"].GetDouble());

        // A refresh takes a mark once it is older than RollupMarks.ConsumeAfter; until then it stays and raw answers.
        Assert.Equal(0, (await host.RefreshAsync()).MarksConsumed);
        clock.Advance(RollupMarks.ConsumeAfter + TimeSpan.FromSeconds(1));

        // Both writes were ten minutes late: two marks, taken by this refresh (or by the scheduled one the clock woke).
        await host.RefreshAsync();
        Assert.Equal(0, await host.MarksLeftAsync());
        Assert.Equal((30, 3), await RollupAsync(host, device, minute));
        SeriesAnswer after = (await client.GetFromJsonAsync<SeriesAnswer>(query, JsonSerializerOptions.Web))!;
        Assert.Equal(["m1"], after.Segments.Select(s => s.Tier));
        Assert.Equal(60, after.Series[0].Points.Single().Values["t"].GetDouble());
    }

    [Fact]
    public async Task A_devices_many_marks_are_read_as_one_span_and_another_devices_stay_apart()
    {
        // A late stream writes a mark per device per write (~430 a second in the soak): the ledger folds them per
        // device in influxd, so a query or a refresh reads one span per device, not every mark.
        await using QueryApiHost host = await QueryApiHost.StartAsync();
        DeviceId busy = DeviceId.New();
        DeviceId other = DeviceId.New();
        DateTimeOffset start = QueryApiTests.WindowStart(TimeSpan.FromHours(5), TimeSpan.FromMinutes(1));
        for (int write = 0; write < 40; write++)
        {
            await host.WriteAsProcessingAsync([(busy, start.AddSeconds(write * 7), [("t", write)])]);
        }

        await host.WriteAsProcessingAsync([(other, start.AddHours(-1), [("t", 1.0)])]);
        Assert.Equal(41, await host.MarksLeftAsync());

        RollupLedger ledger = host.Services.GetRequiredService<RollupLedger>();
        IReadOnlyList<LateMark> marks = await ledger.MarksAsync(after: null, DateTimeOffset.UtcNow.AddMinutes(1), CancellationToken.None);
        Assert.Equal(
            new[] { new LateMark(busy.ToString(), start, start.AddSeconds(39 * 7)), new LateMark(other.ToString(), start.AddHours(-1), start.AddHours(-1)) }.OrderBy(m => m.Device, StringComparer.Ordinal),
            marks.OrderBy(m => m.Device, StringComparer.Ordinal));
    }

    [Fact]
    public async Task Each_tier_takes_the_marks_at_its_own_refresh_and_a_mark_goes_once_every_tier_took_it()
    {
        // m1 refreshes every minute, h1 every 10: a late point's h1 hour is recomputed at h1's refresh, not each
        // minute (an h1 recompute reads the device's whole hour of raw), and its mark stays until then.
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using QueryApiHost host = await QueryApiHost.StartAsync(clock: clock);
        DeviceId device = DeviceId.New();
        DateTimeOffset hour = QueryApiTests.WindowStart(TimeSpan.FromHours(3), TimeSpan.FromHours(1));
        await host.WriteAsProcessingAsync([(device, hour.AddMinutes(5), [("t", 10.0)])]);
        clock.Advance(RollupMarks.ConsumeAfter + TimeSpan.FromSeconds(1));
        await host.RefreshAsync();
        Assert.Equal((10, 1), await RollupAsync(host, device, hour.AddMinutes(5)));
        Assert.Equal((10, 1), await RollupAsync(host, device, hour, "h1"));

        await host.WriteAsProcessingAsync([(device, hour.AddMinutes(5).AddSeconds(1), [("t", 30.0)])]);
        clock.Advance(TimeSpan.FromMinutes(1) + RollupMarks.ConsumeAfter);
        await host.Refresher.RefreshAsync(force: false, CancellationToken.None);
        Assert.Equal((20, 2), await RollupAsync(host, device, hour.AddMinutes(5)));
        Assert.Equal((10, 1), await RollupAsync(host, device, hour, "h1"));
        Assert.True(await host.MarksLeftAsync() > 0, "the mark h1 has not taken is gone");

        // The mark h1 has not taken keeps the hour on raw for an h1 query meanwhile: the answer is exact.
        host.Access.Grant("t", new ReadableDevice(device, "d", "w", "W"));
        using HttpClient client = host.Client("t");
        SeriesAnswer between = (await client.GetFromJsonAsync<SeriesAnswer>(
            $"/v1/devices/{device}/series?fields=t&from={QueryApiTests.Ms(hour)}&to={QueryApiTests.Ms(hour.AddHours(1))}&every=1h&agg=mean", JsonSerializerOptions.Web))!;
        Assert.Equal("h1", between.Tier);
        Assert.Equal(["raw"], between.Segments.Select(s => s.Tier));
        Assert.Equal(20, between.Series[0].Points.Single().Values["t"].GetDouble());

        clock.Advance(TimeSpan.FromMinutes(10));
        await host.Refresher.RefreshAsync(force: false, CancellationToken.None);
        Assert.Equal((20, 2), await RollupAsync(host, device, hour, "h1"));
        Assert.Equal(0, await host.MarksLeftAsync());
    }

    [Fact]
    [Trait("Reliability", "clock-jump-backwards")]
    public async Task After_the_clock_steps_back_an_hour_a_late_points_mark_reaches_both_tiers_not_skipped_as_taken()
    {
        // Both tiers record, by the wall clock, how far they took the marks: set back an hour, a new mark is dated
        // before those records, and read by time alone it would pass for taken (and be deleted unread).
        DateTimeOffset real = DateTimeOffset.UtcNow;
        var clock = new SteppedClock(real.AddHours(1));
        await using QueryApiHost host = await QueryApiHost.StartAsync(clock: clock);
        DeviceId device = DeviceId.New();
        DateTimeOffset hour = QueryApiTests.WindowStart(TimeSpan.FromHours(3), TimeSpan.FromHours(1));
        await host.WriteAsProcessingAsync([(device, hour.AddMinutes(5), [("t", 10.0)])]);
        clock.Advance(RollupMarks.ConsumeAfter + TimeSpan.FromSeconds(1));
        await host.RefreshAsync();
        Assert.Equal((10, 1), await RollupAsync(host, device, hour, "h1"));

        clock.StepBack(TimeSpan.FromHours(1));
        await host.WriteAsProcessingAsync([(device, hour.AddMinutes(5).AddSeconds(1), [("t", 30.0)])]);
        clock.Advance(RollupMarks.ConsumeAfter + TimeSpan.FromSeconds(1));
        await host.RefreshAsync();
        Assert.Equal((20, 2), await RollupAsync(host, device, hour.AddMinutes(5)));
        Assert.Equal((20, 2), await RollupAsync(host, device, hour, "h1"));
        Assert.Equal(0, await host.MarksLeftAsync());
    }

    [Fact]
    public async Task A_new_rollup_tier_is_backfilled_beyond_its_look_back()
    {
        DeviceId device = DeviceId.New();
        DateTimeOffset minute = QueryApiTests.WindowStart(TimeSpan.FromHours(5), TimeSpan.FromMinutes(1));
        await using QueryApiHost host = await QueryApiHost.StartAsync(prepare: async influx =>
        {
            // An older deployment: only raw exists, with points 5 h old (outside m1's 2 h look-back).
            await influx.ExecuteAsync($"CREATE DATABASE {InfluxQl.QuoteIdentifier(influx.Options.Database)}");
            await influx.ExecuteAsync(RetentionStatements.CreatePolicy(influx.Options.Database, "raw", TimeSpan.FromDays(30), isDefault: true));
            using var client = new QueryApiHostWriter(influx);
            await client.WriteAsync(device, minute.AddSeconds(5), 4.0);
            await client.WriteAsync(device, minute.AddSeconds(50), 8.0);
        });

        // The new tier has no watermark: a refresh rolls up everything raw holds.
        await host.RefreshAsync();
        Assert.Equal((6, 2), await RollupAsync(host, device, minute));
    }

    [Fact]
    public async Task A_longer_look_back_backfills_the_window_it_adds()
    {
        await using QueryApiHost host = await QueryApiHost.StartAsync();
        RetentionBackfills backfills = host.Services.GetRequiredService<RetentionBackfills>();

        // The fresh tiers' catch-up first (a refresh rolls up all raw holds), so that it cannot be what fills the minute.
        await host.RefreshAsync();

        // And the start-up layout step, which may replace continuous queries: after it, only the PUT below changes them.
        await host.Services.GetRequiredService<RetentionService>().LayoutMigrated.WaitAsync(TimeSpan.FromSeconds(60));
        DeviceId device = DeviceId.New();
        DateTimeOffset minute = QueryApiTests.WindowStart(TimeSpan.FromHours(5), TimeSpan.FromMinutes(1));
        await host.WriteAsync("raw", [(device, minute.AddSeconds(1), [("t", 1.0)]), (device, minute.AddSeconds(2), [("t", 3.0)])]);
        Assert.Null(await RollupAsync(host, device, minute));

        using HttpClient op = host.Client(QueryApiHost.OperatorToken);
        using HttpResponseMessage response = await op.PutAsJsonAsync("/v1/ops/retention", new { m1 = new { lookBack = "6h" } });
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        RetentionUpdated updated = JsonSerializer.Deserialize<RetentionUpdated>(text, JsonSerializerOptions.Web)!;
        Assert.Contains(new RetentionChange("m1.lookBack", "2h", "6h"), updated.Changes);
        BackfillView window = Assert.Single(updated.Backfills);
        Assert.Equal("m1", window.Tier);
        Assert.True(window.From <= minute);

        // 120 s: on a loaded CI machine (load 5 on 2 cores) influxd's SELECT INTO queues behind other tests' writes.
        long before = backfills.Completed;
        await QueryApiHost.WaitUntilAsync(
            async () => await RollupAsync(host, device, minute) == (2, 2),
            TimeSpan.FromSeconds(120),
            () => $"m1 rollup after the look-back grew (backfills finished since the PUT: {backfills.Completed - before}, failed chunks: {backfills.FailedChunks})");
        ObservedRetention observed = await host.Services.GetRequiredService<RetentionCatalog>().ObserveAsync(CancellationToken.None);
        Assert.Equal(TimeSpan.FromHours(6), observed.Rollups[StorageTier.M1].LookBack);
    }

    private static async Task<(double Mean, long Count)?> RollupAsync(QueryApiHost host, DeviceId device, DateTimeOffset minute, string tier = "m1")
    {
        InfluxQueryResult result = await host.QueryAsync(
            $"SELECT \"mean_t\", \"count_t\" FROM {InfluxQl.QuoteIdentifier(tier)}.{InfluxQl.QuoteIdentifier(device.ToString())} WHERE \"device\" = {InfluxQl.QuoteString(device.ToString())} AND time = {InfluxDuration.Timestamp(minute)}");
        InfluxSeries? series = result.Statements[0].Series.FirstOrDefault();
        return series is null || series.Values.Count == 0 ? null : (series.GetDouble(0, "mean_t"), series.GetInt64(0, "count_t"));
    }

    private static async Task<Dictionary<string, (string Duration, bool Default)>> PoliciesAsync(QueryApiHost host)
    {
        InfluxQueryResult result = await host.QueryAsync($"SHOW RETENTION POLICIES ON {InfluxQl.QuoteIdentifier(host.Database)}");
        InfluxSeries series = result.Statements[0].Series[0];
        return Enumerable.Range(0, series.Values.Count).ToDictionary(i => series.GetString(i, "name")!, i => (series.GetString(i, "duration")!, series.GetBoolean(i, "default")));
    }

    /// <summary>Writes raw points before the host exists.</summary>
    private sealed class QueryApiHostWriter(InfluxClient influx) : IDisposable
    {
        private readonly Datacake.Streams.Influx.LineProtocol.InfluxPointBatch _batch = new();

        public async Task WriteAsync(DeviceId device, DateTimeOffset time, double t)
        {
            _batch.Clear();
            var p = _batch.BeginPoint();
            p.Measurement(device.ToString());
            p.Tag("device", device.ToString());
            p.Field("t", t);
            p.Timestamp((time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100);
            await influx.WriteAsync(_batch.Written, "raw");
        }

        public void Dispose() => _batch.Dispose();
    }
}
