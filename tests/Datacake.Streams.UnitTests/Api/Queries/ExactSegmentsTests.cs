using Datacake.Streams.Api.Queries;
using Datacake.Streams.Api.Retention;
using CsCheck;
using Microsoft.Extensions.Time.Testing;

namespace Datacake.Streams.UnitTests.Api.Queries;

/// <summary><see cref="ExactSegments"/>: which windows a rollup may answer, and which must come from raw.</summary>
public sealed class ExactSegmentsTests
{
    private static readonly RetentionSettings s_retention = new();
    private static readonly TimeSpan s_tenMinutes = TimeSpan.FromMinutes(10);
    private static readonly int[] s_everyMinutes = [1, 5, 10, 60, 120, 1440];

    // Deliberately not on a minute boundary, so that alignment shows.
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 28, 12, 34, 56, 789, TimeSpan.Zero));

    private DateTimeOffset Now => _time.GetUtcNow();

    [Fact]
    public void Windows_from_the_watermark_on_come_from_raw_aligned_to_whole_query_windows()
    {
        DateTimeOffset from = QueryTime.FloorTo(Now.AddHours(-1), TimeSpan.FromMinutes(1));
        TierPlan plan = TierPlanner.Plan(from, Now, s_tenMinutes, s_retention, Now);
        DateTimeOffset watermark = new(2026, 11, 28, 12, 33, 0, TimeSpan.Zero);

        TierPlan exact = ExactSegments.Refine(plan, Freshness(watermark), s_retention, Now);

        DateTimeOffset seam = new(2026, 11, 28, 12, 30, 0, TimeSpan.Zero);
        Assert.Equal(
            [new TierSegment(StorageTier.M1, from, seam, s_tenMinutes), new TierSegment(StorageTier.Raw, seam, Now, s_tenMinutes)],
            exact.Segments);
        Assert.Equal(StorageTier.M1, exact.Tier);
    }

    [Fact]
    public void Twenty_minutes_ago_at_every_10m_is_read_from_raw_while_the_rollup_lags()
    {
        // The case: the rollup lags by a quarter of an hour; points 20 minutes old are past its watermark.
        DateTimeOffset from = QueryTime.FloorTo(Now.AddMinutes(-30), TimeSpan.FromMinutes(1));
        TierPlan exact = ExactSegments.Refine(TierPlanner.Plan(from, Now, s_tenMinutes, s_retention, Now), Freshness(Now.AddMinutes(-15)), s_retention, Now);
        Assert.Equal(StorageTier.M1, exact.Segments[0].Tier);
        TierSegment raw = exact.Segments[^1];
        Assert.Equal(StorageTier.Raw, raw.Tier);
        Assert.True(raw.From <= Now.AddMinutes(-20));
        Assert.Equal(TimeSpan.Zero, QueryTime.FloorTo(raw.From, s_tenMinutes) - raw.From);
    }

    [Fact]
    public void An_eight_days_late_mark_sends_its_windows_to_raw_for_every_device_of_the_statement()
    {
        DateTimeOffset from = QueryTime.FloorTo(Now.AddDays(-9), TimeSpan.FromHours(1));
        DateTimeOffset late = new(2026, 11, 20, 7, 15, 30, TimeSpan.Zero);
        var mark = new LateMark("dev_a", late, late.AddMinutes(50));
        TierPlan plan = TierPlanner.Plan(from, Now, TimeSpan.FromHours(1), s_retention, Now);

        TierPlan exact = ExactSegments.Refine(plan, Freshness(Now.AddMinutes(-2), mark), s_retention, Now);

        Assert.Equal(StorageTier.H1, exact.Tier);
        TierSegment[] raw = exact.Segments.Where(s => s.Tier == StorageTier.Raw).ToArray();
        Assert.Equal(2, raw.Length);

        // 07:15:30..08:05:30 touches the 07:00 and 08:00 hours.
        Assert.Equal(new TierSegment(StorageTier.Raw, late.Date.AddHours(7), late.Date.AddHours(9), TimeSpan.FromHours(1)), raw[0] with { From = raw[0].From.UtcDateTime, To = raw[0].To.UtcDateTime });
        Assert.Equal(StorageTier.H1, exact.Segments[0].Tier);
        Assert.Equal(from, exact.Segments[0].From);
        AssertContiguous(exact, from, Now);
    }

    [Fact]
    public void A_range_edge_inside_a_rollup_window_is_read_from_raw()
    {
        // 12:04:30 is inside the m1 window 12:04 that holds the minute whole: the window up to 12:10 comes from raw.
        DateTimeOffset from = new(2026, 11, 28, 12, 4, 30, TimeSpan.Zero);
        DateTimeOffset to = new(2026, 11, 28, 12, 20, 0, TimeSpan.Zero);
        TierPlan exact = ExactSegments.Refine(TierPlanner.Plan(from, to, s_tenMinutes, s_retention, Now), Freshness(Now), s_retention, Now);
        Assert.Equal(
            [new TierSegment(StorageTier.Raw, from, from.AddSeconds(330), s_tenMinutes), new TierSegment(StorageTier.M1, from.AddSeconds(330), to, s_tenMinutes)],
            exact.Segments);
    }

    [Fact]
    public void Past_raw_retention_the_rollup_is_the_truth_even_without_a_watermark()
    {
        DateTimeOffset from = Now.AddDays(-40);
        TierPlan exact = ExactSegments.Refine(TierPlanner.Plan(from, Now, TimeSpan.FromHours(1), s_retention, Now), RollupFreshness.None, s_retention, Now);

        Assert.Equal(StorageTier.H1, exact.Segments[0].Tier);
        Assert.Equal(QueryTime.CeilTo(Now - s_retention.Raw, TimeSpan.FromHours(1)), exact.Segments[0].To);
        Assert.Equal(StorageTier.Raw, Assert.Single(exact.Segments.Skip(1)).Tier);
        AssertContiguous(exact, from, Now);
    }

    [Fact]
    public void Raw_plans_and_whole_range_rollups_are_left_alone()
    {
        TierPlan raw = TierPlanner.Plan(Now.AddHours(-1), Now, TimeSpan.FromSeconds(10), s_retention, Now);
        Assert.Same(raw.Segments[0], Assert.Single(ExactSegments.Refine(raw, RollupFreshness.None, s_retention, Now).Segments));
        var whole = new TierPlan([new TierSegment(StorageTier.M1, Now.AddDays(-60), Now, null)]);
        Assert.Equal(whole.Segments, ExactSegments.Refine(whole, RollupFreshness.None, s_retention, Now).Segments);
    }

    [Fact]
    public void Marks_and_the_watermark_merge_into_as_few_raw_segments_as_they_cover()
    {
        DateTimeOffset from = QueryTime.FloorTo(Now.AddHours(-3), TimeSpan.FromMinutes(1));
        DateTimeOffset watermark = Now.AddMinutes(-2);
        LateMark[] marks =
        [
            new("dev_a", Now.AddMinutes(-95), Now.AddMinutes(-94)),
            new("dev_b", Now.AddMinutes(-93), Now.AddMinutes(-93)),
            new("dev_a", Now.AddMinutes(-5), Now.AddMinutes(-4)),
        ];
        TierPlan exact = ExactSegments.Refine(TierPlanner.Plan(from, Now, s_tenMinutes, s_retention, Now), Freshness(watermark, marks), s_retention, Now);

        Assert.Equal([StorageTier.M1, StorageTier.Raw, StorageTier.M1, StorageTier.Raw], exact.Segments.Select(s => s.Tier));
        AssertContiguous(exact, from, Now);
        Assert.All(exact.Segments.Skip(1), s => Assert.Equal(s.From, QueryTime.FloorTo(s.From, s_tenMinutes)));
    }

    [Fact]
    public void Every_plan_covers_its_range_once_with_seams_on_whole_windows()
    {
        // A property over random watermarks, marks, ranges and windows (minutes and hours, so m1 and h1).
        Gen.Select(
                Gen.Int[1, 60 * 24 * 35],
                Gen.Int[1, 60 * 24 * 3],
                Gen.Int[0, 5].Select(i => s_everyMinutes[i]),
                Gen.Int[0, 60 * 24 * 40].Array[0, 4],
                Gen.Int[-1, 600])
            .Sample((startAgo, length, everyMinutes, markAgo, watermarkAgo) =>
            {
                TimeSpan every = TimeSpan.FromMinutes(everyMinutes);
                DateTimeOffset from = Now.AddMinutes(-startAgo);
                DateTimeOffset to = from.AddMinutes(length) > Now ? Now : from.AddMinutes(length);
                if (to <= from)
                {
                    return;
                }

                var watermarks = new Dictionary<StorageTier, DateTimeOffset>();
                if (watermarkAgo >= 0)
                {
                    watermarks[StorageTier.M1] = QueryTime.FloorTo(Now.AddMinutes(-watermarkAgo), TimeSpan.FromMinutes(1));
                    watermarks[StorageTier.H1] = QueryTime.FloorTo(Now.AddMinutes(-watermarkAgo), TimeSpan.FromHours(1));
                }

                var freshness = new RollupFreshness(watermarks, markAgo.Select(m => new LateMark("dev_a", Now.AddMinutes(-m), Now.AddMinutes(-m).AddSeconds(30))).ToList());
                TierPlan plan = TierPlanner.Plan(from, to, every, s_retention, Now);
                TierPlan exact = ExactSegments.Refine(plan, freshness, s_retention, Now);
                AssertContiguous(exact, from, to);
                DateTimeOffset rawEdge = Now - s_retention.Raw;
                foreach (TierSegment segment in exact.Segments.Where(s => s.Tier != StorageTier.Raw && s.Every is not null))
                {
                    // A rollup answers nothing at or after its watermark inside raw's retention, and no marked window
                    // that raw holds whole (a window across raw's edge is the rollup's: raw lacks its beginning; with
                    // 1-day windows the mark's day can begin before the edge: seed f1nP9BotplR7; and the window
                    // across the edge is the rollup's without a watermark: seed 48lBJv5Abwg1).
                    DateTimeOffset wholeInRaw = QueryTime.CeilTo(rawEdge, segment.Every!.Value);
                    if (segment.To > wholeInRaw)
                    {
                        Assert.True(watermarks.TryGetValue(segment.Tier, out DateTimeOffset w) && segment.To <= w, $"{segment} beyond watermark");
                        Assert.DoesNotContain(freshness.Marks, m => m.To >= segment.From && m.From < segment.To && m.From >= wholeInRaw);
                    }
                }
            });
    }

    private static RollupFreshness Freshness(DateTimeOffset watermark, params LateMark[] marks) =>
        new(new Dictionary<StorageTier, DateTimeOffset> { [StorageTier.M1] = QueryTime.FloorTo(watermark, TimeSpan.FromMinutes(1)), [StorageTier.H1] = QueryTime.FloorTo(watermark, TimeSpan.FromHours(1)) }, marks);

    private static void AssertContiguous(TierPlan plan, DateTimeOffset from, DateTimeOffset to)
    {
        Assert.Equal(from, plan.Segments[0].From);
        Assert.Equal(to, plan.Segments[^1].To);
        for (int i = 1; i < plan.Segments.Count; i++)
        {
            Assert.Equal(plan.Segments[i - 1].To, plan.Segments[i].From);
            Assert.True(plan.Segments[i].From < plan.Segments[i].To);
        }
    }
}
