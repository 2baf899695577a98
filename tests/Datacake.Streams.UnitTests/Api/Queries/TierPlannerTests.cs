using Datacake.Streams.Api.Queries;
using Datacake.Streams.Api.Retention;

namespace Datacake.Streams.UnitTests.Api.Queries;

public sealed class TierPlannerTests
{
    // Deliberately not on a minute boundary, so that alignment shows.
    private static readonly DateTimeOffset s_now = new(2026, 11, 28, 12, 34, 56, 789, TimeSpan.Zero);
    private static readonly RetentionSettings s_retention = new();

    [Fact]
    public void Every_5m_over_7_days_is_answered_by_m1()
    {
        TierPlan plan = TierPlanner.Plan(s_now.AddDays(-7), s_now, TimeSpan.FromMinutes(5), s_retention, s_now);
        Assert.Equal(StorageTier.M1, plan.Tier);
        Assert.False(plan.Stitched);
        Assert.Equal(TimeSpan.FromMinutes(5), plan.Segments[0].Every);
    }

    [Theory]
    [InlineData(10, StorageTier.Raw)]
    [InlineData(90, StorageTier.Raw)]
    [InlineData(60, StorageTier.M1)]
    [InlineData(1800, StorageTier.M1)]
    [InlineData(3600, StorageTier.H1)]
    [InlineData(86400, StorageTier.H1)]
    [InlineData(5400, StorageTier.M1)]
    public void Preferred_tier_is_the_coarsest_whose_resolution_divides_every(int seconds, StorageTier expected) =>
        Assert.Equal(expected, TierPlanner.Preferred(TimeSpan.FromSeconds(seconds)));

    [Fact]
    public void Every_10s_over_ten_minutes_and_no_every_read_raw()
    {
        Assert.Equal(StorageTier.Raw, TierPlanner.Plan(s_now.AddMinutes(-10), s_now, TimeSpan.FromSeconds(10), s_retention, s_now).Tier);
        TierPlan points = TierPlanner.Plan(s_now.AddMinutes(-10), s_now, null, s_retention, s_now);
        Assert.Equal(StorageTier.Raw, points.Tier);
        Assert.Null(points.Segments[0].Every);
    }

    [Fact]
    public void Every_1h_over_30_days_reads_h1()
    {
        TierPlan plan = TierPlanner.Plan(s_now.AddDays(-30), s_now, TimeSpan.FromHours(1), s_retention, s_now);
        Assert.Equal(StorageTier.H1, plan.Tier);
        Assert.False(plan.Stitched);
    }

    [Fact]
    public void A_range_crossing_the_raw_boundary_is_stitched_with_the_older_part_from_m1_on_whole_windows()
    {
        TierPlan plan = TierPlanner.Plan(s_now.AddDays(-40), s_now, TimeSpan.FromSeconds(10), s_retention, s_now);
        Assert.True(plan.Stitched);
        Assert.Equal(StorageTier.Raw, plan.Tier);
        (TierSegment older, TierSegment newer) = (plan.Segments[0], plan.Segments[1]);
        Assert.Equal(StorageTier.M1, older.Tier);
        Assert.Equal(TimeSpan.FromMinutes(1), older.Every);
        Assert.Equal(s_now.AddDays(-40), older.From);
        Assert.Equal(older.To, newer.From);
        Assert.Equal(s_now, newer.To);

        // The seam sits at or after where raw starts, on a whole minute (no window split between tiers).
        Assert.True(newer.From >= s_now.AddDays(-30));
        Assert.True(newer.From < s_now.AddDays(-30).AddMinutes(1));
        Assert.Equal(0, (newer.From - DateTimeOffset.UnixEpoch).Ticks % TimeSpan.TicksPerMinute);
    }

    [Fact]
    public void A_range_crossing_the_m1_boundary_takes_its_older_part_from_h1()
    {
        TierPlan plan = TierPlanner.Plan(s_now.AddDays(-400), s_now.AddDays(-100), TimeSpan.FromMinutes(5), s_retention, s_now);
        Assert.Equal([StorageTier.H1, StorageTier.M1], plan.Segments.Select(s => s.Tier));
        Assert.Equal(TimeSpan.FromHours(1), plan.Segments[0].Every);
        Assert.Equal(0, (plan.Segments[1].From - DateTimeOffset.UnixEpoch).Ticks % TimeSpan.TicksPerHour);
    }

    [Fact]
    public void A_range_wholly_older_than_the_preferred_tier_uses_the_coarser_tier_alone()
    {
        TierPlan plan = TierPlanner.Plan(s_now.AddDays(-60), s_now.AddDays(-50), TimeSpan.FromSeconds(10), s_retention, s_now);
        Assert.False(plan.Stitched);
        Assert.Equal(StorageTier.M1, plan.Tier);
    }

    [Fact]
    public void Shorter_live_retention_moves_the_boundary()
    {
        RetentionSettings shortRaw = s_retention with { Raw = TimeSpan.FromDays(2) };
        Assert.True(TierPlanner.Plan(s_now.AddDays(-3), s_now, TimeSpan.FromSeconds(10), shortRaw, s_now).Stitched);
        Assert.False(TierPlanner.Plan(s_now.AddDays(-3), s_now, TimeSpan.FromSeconds(10), s_retention, s_now).Stitched);
    }

    [Fact]
    public void A_whole_range_aggregate_reads_the_finest_tier_holding_all_of_it()
    {
        Assert.Equal(StorageTier.Raw, TierPlanner.Covering(s_now.AddDays(-29), s_retention, s_now));
        Assert.Equal(StorageTier.M1, TierPlanner.Covering(s_now.AddDays(-31), s_retention, s_now));
        Assert.Equal(StorageTier.H1, TierPlanner.Covering(s_now.AddDays(-400), s_retention, s_now));
    }
}
