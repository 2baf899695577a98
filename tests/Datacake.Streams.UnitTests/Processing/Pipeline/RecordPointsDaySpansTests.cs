using Datacake.Streams.Ids;
using Datacake.Streams.Processing.Pipeline;
using Datacake.Streams.Storage;

namespace Datacake.Streams.UnitTests.Processing.Pipeline;

/// <summary>The per-day spans a record's points give its rollup marks (RollupMarks.DayTag).</summary>
public sealed class RecordPointsDaySpansTests
{
    private const long Day = RollupMarks.DayNs;
    private static readonly long s_today = 20_000 * Day;

    [Fact]
    public void Points_of_one_day_give_no_spans_the_record_span_is_the_one()
    {
        var points = new RecordPoints();
        Write(points, s_today + 5, s_today + 100, s_today + Day - 1);
        Assert.Null(points.DaySpans());
        Assert.Equal(s_today + 5, points.EarliestNs);
        Assert.Equal(s_today + Day - 1, points.LatestNs);
    }

    [Fact]
    public void Points_a_month_apart_give_a_short_span_per_day_not_the_month_between()
    {
        var points = new RecordPoints();
        long monthAgo = s_today - (28 * Day);
        Write(points, s_today + 60, monthAgo + 10, s_today + 30, monthAgo + 20, s_today - 1);
        Assert.Equal([(s_today + 30, s_today + 60), (monthAgo + 10, monthAgo + 20), (s_today - 1, s_today - 1)], points.DaySpans()!);

        // The next record starts over.
        Write(points, s_today + 1);
        Assert.Null(points.DaySpans());
    }

    [Fact]
    public void Past_the_slots_every_point_is_still_inside_a_span()
    {
        var points = new RecordPoints();
        long[] times = Enumerable.Range(0, 40).Select(d => s_today - (d * Day) + d).ToArray();
        Write(points, times);
        (long From, long To)[] spans = points.DaySpans()!;
        Assert.Equal(32, spans.Length);
        Assert.All(times, t => Assert.Contains(spans, s => s.From <= t && t <= s.To));
    }

    [Fact]
    public void Days_before_the_epoch_floor_too()
    {
        Assert.Equal(-1, RollupMarks.Day(-1));
        Assert.Equal(0, RollupMarks.Day(0));
        Assert.Equal(-1, RollupMarks.Day(-Day));
        Assert.Equal(-2, RollupMarks.Day(-Day - 1));
        Assert.Equal("2024-10-04", RollupMarks.DayText(RollupMarks.Day(new DateTimeOffset(2024, 10, 4, 23, 59, 59, TimeSpan.Zero).ToUnixTimeMilliseconds() * 1_000_000)));
    }

    private static void Write(RecordPoints points, params long[] times)
    {
        points.Reset(DeviceId.New());
        foreach (long time in times)
        {
            var point = points.Values(time);
            point.Field("t", 1.5);
            point.End();
        }

        points.Take();
    }
}
