using System.Text.Json;
using Datacake.Streams.Api.Queries;
using Datacake.Streams.Api.Retention;
using Datacake.Streams.Influx.Querying;

namespace Datacake.Streams.UnitTests.Api.Queries;

/// <summary>
/// Devices combined in the API (every device is its own measurement and InfluxDB answers one series per
/// measurement): the combination must equal the aggregate over all devices' points together.
/// </summary>
public sealed class CombinedSeriesTests
{
    private static readonly DateTimeOffset s_from = new(2026, 12, 1, 10, 0, 0, TimeSpan.Zero);

    private static long Ns(DateTimeOffset t) => (t - DateTimeOffset.UnixEpoch).Ticks * 100;

    private static InfluxSeries Parts(string device, params (DateTimeOffset Time, double? S, double? C, double? N, double? X)[] rows) =>
        new(device, new Dictionary<string, string> { ["device"] = device }, ["time", "s0", "c0", "n0", "x0"],
            rows.Select(r => new[] { JsonSerializer.SerializeToElement(Ns(r.Time)), Number(r.S), Number(r.C), Number(r.N), Number(r.X) }).ToList());

    private static JsonElement Number(double? value) => JsonSerializer.SerializeToElement(value);

    private static double?[] Values(List<SeriesPoint> points) =>
        points.Select(p => p.Values["t"].ValueKind == JsonValueKind.Null ? (double?)null : p.Values["t"].GetDouble()).ToArray();

    [Theory]
    [InlineData(Aggregate.Mean, 4.0)]
    [InlineData(Aggregate.Sum, 20.0)]
    [InlineData(Aggregate.Count, 5.0)]
    [InlineData(Aggregate.Min, 1.0)]
    [InlineData(Aggregate.Max, 9.0)]
    public void Parts_of_two_devices_combine_to_the_aggregate_of_all_their_points(Aggregate aggregate, double expected)
    {
        // Device a: 1, 2, 3 (sum 6, count 3); device b: 5, 9 (sum 14, count 2). All five: mean 4, not (2 + 7) / 2.
        var combined = new CombinedSeries(aggregate, ["t"]);
        combined.Add(Parts("dev_a", (s_from, 6, 3, 1, 3)));
        combined.Add(Parts("dev_b", (s_from, 14, 2, 5, 9)));

        var point = Assert.Single(combined.Points(s_from, s_from.AddHours(1), every: null, FillMode.None));
        Assert.Equal(expected, point.Values["t"].GetDouble());
        Assert.Equal(s_from, point.Time);
    }

    [Fact]
    public void Windows_no_device_had_data_in_are_filled_after_combining()
    {
        var every = TimeSpan.FromMinutes(10);
        var combined = new CombinedSeries(Aggregate.Mean, ["t"]);
        combined.Add(Parts("dev_a", (s_from, 10, 1, 10, 10), (s_from.AddMinutes(30), 40, 1, 40, 40)));
        combined.Add(Parts("dev_b", (s_from.AddMinutes(30), 20, 1, 20, 20)));

        Assert.Equal([10, 30], Values(combined.Points(s_from, s_from.AddMinutes(40), every, FillMode.None)));
        Assert.Equal([10, null, null, 30], Values(combined.Points(s_from, s_from.AddMinutes(40), every, FillMode.Null)));
        Assert.Equal([10, 10, 10, 30], Values(combined.Points(s_from, s_from.AddMinutes(40), every, FillMode.Previous)));
        Assert.Equal([10, 16.666666666666668, 23.333333333333336, 30], Values(combined.Points(s_from, s_from.AddMinutes(40), every, FillMode.Linear)));

        // Windows start at multiples of every from the epoch, as InfluxDB's: a range from 10:05 starts at 10:00.
        Assert.Equal(s_from, combined.Points(s_from.AddMinutes(5), s_from.AddMinutes(40), every, FillMode.Null)[0].Time);
    }

    [Fact]
    public void The_parts_statement_reads_only_the_devices_measurements_per_device_and_leaves_empty_windows_out()
    {
        var segment = new TierSegment(StorageTier.Raw, s_from, s_from.AddHours(1), TimeSpan.FromMinutes(1));
        var text = SeriesStatement.BuildParts("db", segment, ["dev_a", "dev_b"], ["t"], Aggregate.Mean);
        Assert.Equal(
            "SELECT sum(\"t\") AS \"s0\", count(\"t\") AS \"c0\" FROM \"db\".\"raw\".\"dev_a\",\"db\".\"raw\".\"dev_b\" WHERE "
            + $"time >= {Ns(s_from)} AND time < {Ns(s_from.AddHours(1))} GROUP BY time(1m), \"device\" fill(none)",
            text);

        var rollup = SeriesStatement.BuildParts("db", segment with { Tier = StorageTier.M1 }, ["dev_a", "dev_b"], ["t"], Aggregate.Mean);
        Assert.Contains("SELECT sum(\"p0\") AS \"s0\", sum(\"c0\") AS \"c0\" FROM (SELECT \"mean_t\" * \"count_t\" AS \"p0\", \"count_t\" AS \"c0\" FROM \"db\".\"m1\".\"dev_a\",\"db\".\"m1\".\"dev_b\" WHERE time", rollup, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => SeriesStatement.BuildParts("db", segment, ["dev_a", "dev_b"], ["t"], Aggregate.Median));
    }

    [Fact]
    public void Every_device_is_read_by_its_own_quoted_measurement_name()
    {
        Assert.Equal("\"db\".\"raw\".\"dev_a\"", SeriesStatement.From("db", "raw", ["dev_a"]));
        Assert.Equal("\"db\".\"h1\".\"dev_a\",\"db\".\"h1\".\"dev_b\"", SeriesStatement.From("db", "h1", ["dev_a", "dev_b"]));

        // No id is ever a pattern: one that looks like a regex is a name like any other.
        Assert.Equal("\"db\".\"raw\".\"dev_a\",\"db\".\"raw\".\"x|.*\"", SeriesStatement.From("db", "raw", ["dev_a", "x|.*"]));
    }

    [Fact]
    public void Rollups_read_every_device_measurement_into_its_own_and_a_recompute_reads_one_device()
    {
        DateTimeOffset from = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000 / 60 * 60);
        string all = RetentionStatements.Backfill("db", StorageTier.M1, from, from.AddMinutes(2));
        Assert.Contains("INTO \"db\".\"m1\".:MEASUREMENT FROM \"db\".\"raw\"./^dev_/ WHERE time >= 1800000000000000000 AND time < 1800000120000000000 GROUP BY time(1m), *", all, StringComparison.Ordinal);
        string one = RetentionStatements.Recompute("db", StorageTier.H1, "dev_a", from, from.AddHours(1));
        Assert.Contains("INTO \"db\".\"h1\".:MEASUREMENT FROM \"db\".\"raw\".\"dev_a\" WHERE", one, StringComparison.Ordinal);
        Assert.EndsWith("GROUP BY time(1h), *", one, StringComparison.Ordinal);

        // The continuous queries before the refresher, as SHOW CONTINUOUS QUERIES prints them (checked on influxd 1.6.7).
        Assert.True(RetentionStatements.TryReadResample("CREATE CONTINUOUS QUERY dcs_rollup_m1 ON db RESAMPLE EVERY 1m FOR 2h BEGIN SELECT mean(*) INTO db.m1.:MEASUREMENT FROM db.raw./^dev_/ GROUP BY time(1m), * END", out TimeSpan every, out TimeSpan lookBack));
        Assert.Equal((TimeSpan.FromMinutes(1), TimeSpan.FromHours(2)), (every, lookBack));
    }
}
