using Datacake.Streams.Api.Access;
using Datacake.Streams.Api.Retention;

namespace Datacake.Streams.Api.Queries;

/// <summary>One part of a query answered by one tier, over [From, To), at <see cref="Every"/> (null: raw points).</summary>
public sealed record TierSegment(StorageTier Tier, DateTimeOffset From, DateTimeOffset To, TimeSpan? Every);

/// <summary>
/// Which tiers answer a query: one segment, or two (older part from the coarser tier) when stitched, and after
/// <see cref="ExactSegments"/> the windows a rollup has not caught up with from raw.
/// </summary>
public sealed record TierPlan(IReadOnlyList<TierSegment> Segments)
{
    /// <summary>The tier the request's <c>every</c> chose for the newest part (kept when raw segments are cut in).</summary>
    public StorageTier Tier { get; init; } = Segments[^1].Tier;

    public bool Stitched => Segments.Count > 1;
}

/// <summary>
/// Automatic tier choice, a pure function of the request, the live retention and "now".
/// </summary>
/// <remarks>
/// Preferred tier: the coarsest whose resolution divides <c>every</c> (every ≥ 1h and a whole number of hours → h1;
/// whole minutes → m1; else raw; no every → raw). If that tier no longer holds <c>from</c>, the older part comes from
/// the first coarser tier that still does (else the coarsest), and the boundary is rounded up to a whole
/// <c>every</c> window so that no window is split between tiers. The older part's windows are at least the coarser
/// tier's resolution: a 10 s query over 40 days has 1-minute windows for the days raw no longer holds.
/// </remarks>
public static class TierPlanner
{
    public static TierPlan Plan(DateTimeOffset from, DateTimeOffset to, TimeSpan? every, RetentionSettings retention, DateTimeOffset now)
    {
        StorageTier preferred = Preferred(every);
        DateTimeOffset holdsFrom = now - retention.Duration(preferred);
        if (from >= holdsFrom || preferred == StorageTier.H1)
        {
            return new TierPlan([new TierSegment(preferred, from, to, every)]);
        }

        StorageTier older = StorageTiers.All.Where(t => t > preferred).FirstOrDefault(t => from >= now - retention.Duration(t), StorageTier.H1);
        TimeSpan? olderEvery = CoarseEvery(every, older);
        DateTimeOffset boundary = every is { } step ? QueryTime.CeilTo(holdsFrom, step) : holdsFrom;

        // The coarse tier's windows are whole multiples of its resolution; its part ends on one of them too.
        boundary = QueryTime.CeilTo(boundary, olderEvery!.Value);
        if (boundary >= to)
        {
            return new TierPlan([new TierSegment(older, from, to, olderEvery)]);
        }

        return new TierPlan([new TierSegment(older, from, boundary, olderEvery), new TierSegment(preferred, boundary, to, every)]);
    }

    /// <summary>For an aggregate over the whole range (no every): the finest single tier that holds all of it.</summary>
    public static StorageTier Covering(DateTimeOffset from, RetentionSettings retention, DateTimeOffset now) =>
        StorageTiers.All.FirstOrDefault(t => from >= now - retention.Duration(t), StorageTier.H1);

    public static StorageTier Preferred(TimeSpan? every)
    {
        if (every is not { } step)
        {
            return StorageTier.Raw;
        }

        for (int i = StorageTiers.All.Count - 1; i > 0; i--)
        {
            StorageTier tier = StorageTiers.All[i];
            if (step >= tier.Resolution() && step.Ticks % tier.Resolution().Ticks == 0)
            {
                return tier;
            }
        }

        return StorageTier.Raw;
    }

    /// <summary><paramref name="every"/> rounded up to a whole multiple of the tier's resolution.</summary>
    private static TimeSpan CoarseEvery(TimeSpan? every, StorageTier tier)
    {
        long resolution = tier.Resolution().Ticks;
        long ticks = every?.Ticks ?? resolution;
        return TimeSpan.FromTicks(Math.Max(resolution, (ticks + resolution - 1) / resolution * resolution));
    }
}
