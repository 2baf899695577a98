using System.Text.Json;
using Datacake.Streams.Api.Queries;
using Datacake.Streams.Api.Retention;

namespace Datacake.Streams.UnitTests.Api.Queries;

/// <summary>
/// A rollup segment whose window is the tier's own is read as the stored points and its windows made in the API:
/// the windows must be those influxd's <c>GROUP BY time(…) fill(…)</c> answers over the same points.
/// </summary>
public sealed class TierPointWindowsTests
{
    private static readonly DateTimeOffset s_from = new(2026, 12, 1, 10, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan s_minute = TimeSpan.FromMinutes(1);

    private static SeriesPoint Point(int minute, double? t, double? u = null) =>
        new(s_from.AddMinutes(minute), new Dictionary<string, JsonElement> { ["t"] = JsonSerializer.SerializeToElement(t), ["u"] = JsonSerializer.SerializeToElement(u) });

    private static List<SeriesPoint> Fill(FillMode fill, DateTimeOffset from, DateTimeOffset to, params SeriesPoint[] stored)
    {
        var into = new List<SeriesPoint>();
        TierPointWindows.AppendFilled(into, stored, from, to, s_minute, fill, Aggregate.Mean, ["t", "u"]);
        return into;
    }

    private static double?[] Values(List<SeriesPoint> points, string field) =>
        points.Select(p => p.Values[field].ValueKind == JsonValueKind.Null ? (double?)null : p.Values[field].GetDouble()).ToArray();

    [Fact]
    public void Fill_null_answers_every_window_of_the_range_with_the_stored_points_in_theirs()
    {
        List<SeriesPoint> points = Fill(FillMode.Null, s_from, s_from.AddMinutes(5), Point(1, 2), Point(3, 4, 7));

        Assert.Equal(Enumerable.Range(0, 5).Select(m => s_from.AddMinutes(m)), points.Select(p => p.Time));
        Assert.Equal([null, 2, null, 4, null], Values(points, "t"));
        Assert.Equal([null, null, null, 7, null], Values(points, "u"));
    }

    [Fact]
    public void Fill_previous_carries_each_field_forward_from_within_the_range_only()
    {
        List<SeriesPoint> points = Fill(FillMode.Previous, s_from, s_from.AddMinutes(5), Point(1, 2, 5), Point(3, 4));

        Assert.Equal([null, 2, 2, 4, 4], Values(points, "t"));
        Assert.Equal([null, 5, 5, 5, 5], Values(points, "u"));
    }

    [Fact]
    public void An_empty_window_counts_zero_as_influxd_answers_a_count()
    {
        var into = new List<SeriesPoint>();
        TierPointWindows.AppendFilled(into, [Point(1, 2)], s_from, s_from.AddMinutes(3), s_minute, FillMode.Null, Aggregate.Count, ["t"]);

        Assert.Equal([0, 2, 0], Values(into, "t"));
    }

    [Fact]
    public void A_field_a_stored_point_lacks_counts_zero_under_fill_null_and_stays_null_under_fill_none()
    {
        // influxd over raw: count(a), count(b) in a window with only a's points answers b = 0 with fill(null), null with fill(none).
        var filled = new List<SeriesPoint>();
        TierPointWindows.AppendFilled(filled, [Point(0, 2, null)], s_from, s_from.AddMinutes(1), s_minute, FillMode.Null, Aggregate.Count, ["t", "u"]);
        var none = new List<SeriesPoint>();
        TierPointWindows.AppendFilled(none, [Point(0, 2, null)], s_from, s_from.AddMinutes(1), s_minute, FillMode.None, Aggregate.Count, ["t", "u"]);

        Assert.Equal([0], Values(filled, "u"));
        Assert.Equal([2], Values(filled, "t"));
        Assert.Equal([null], Values(none, "u"));
    }

    [Fact]
    public void Fill_none_keeps_only_the_stored_points()
    {
        List<SeriesPoint> points = Fill(FillMode.None, s_from, s_from.AddMinutes(5), Point(1, 2), Point(3, 4));

        Assert.Equal([s_from.AddMinutes(1), s_from.AddMinutes(3)], points.Select(p => p.Time));
    }

    [Fact]
    public void A_device_without_a_point_in_the_segment_has_no_windows_whatever_the_fill()
    {
        // influxd answers no series at all for a measurement without a point in the range.
        Assert.Empty(Fill(FillMode.Null, s_from, s_from.AddMinutes(5)));
        Assert.Empty(Fill(FillMode.Previous, s_from, s_from.AddMinutes(5)));
    }

    [Fact]
    public void Windows_are_aligned_to_the_epoch_from_a_start_inside_a_window_and_end_before_to()
    {
        List<SeriesPoint> points = Fill(FillMode.Null, s_from.AddSeconds(30), s_from.AddMinutes(3).AddSeconds(1), Point(1, 2));

        Assert.Equal([s_from, s_from.AddMinutes(1), s_from.AddMinutes(2), s_from.AddMinutes(3)], points.Select(p => p.Time));
        Assert.Equal(4, TierPointWindows.Count(s_from.AddSeconds(30), s_from.AddMinutes(3).AddSeconds(1), s_minute));
        Assert.Equal(3, TierPointWindows.Count(s_from, s_from.AddMinutes(3), s_minute));
    }

    [Theory]
    [InlineData(Aggregate.Mean, "\"mean_t\" AS \"t\"")]
    [InlineData(Aggregate.Min, "\"min_t\" AS \"t\"")]
    [InlineData(Aggregate.Max, "\"max_t\" AS \"t\"")]
    [InlineData(Aggregate.Count, "\"count_t\" AS \"t\"")]
    [InlineData(Aggregate.Sum, "\"mean_t\" * \"count_t\" AS \"t\"")]
    [InlineData(Aggregate.Last, "\"mean_t\" AS \"t\"")]
    public void A_segment_in_the_tiers_own_window_reads_its_points_without_grouping_by_time(Aggregate aggregate, string column)
    {
        var segment = new TierSegment(StorageTier.M1, s_from, s_from.AddHours(1), s_minute);

        string statement = SeriesStatement.Build("db", segment, ["dev_a"], ["t"], aggregate, FillMode.Null, groupByDevice: true, limit: 10);

        Assert.Equal($"SELECT {column} FROM \"db\".\"m1\".\"dev_a\" WHERE time >= 1796119200000000000 AND time < 1796122800000000000 GROUP BY \"device\"", statement);
        Assert.True(SeriesStatement.ReadsTierPoints(segment, FillMode.Previous));
    }

    [Fact]
    public void Wider_windows_and_fill_linear_keep_the_grouped_statement()
    {
        var wider = new TierSegment(StorageTier.M1, s_from, s_from.AddHours(1), TimeSpan.FromMinutes(5));
        var own = new TierSegment(StorageTier.M1, s_from, s_from.AddHours(1), s_minute);
        var raw = new TierSegment(StorageTier.Raw, s_from, s_from.AddHours(1), s_minute);

        Assert.False(SeriesStatement.ReadsTierPoints(wider, FillMode.Null));
        Assert.False(SeriesStatement.ReadsTierPoints(own, FillMode.Linear));
        Assert.False(SeriesStatement.ReadsTierPoints(raw, FillMode.Null));
        Assert.Contains("GROUP BY time(1m)", SeriesStatement.Build("db", own, ["dev_a"], ["t"], Aggregate.Mean, FillMode.Linear, groupByDevice: true, limit: 10), StringComparison.Ordinal);
    }
}
