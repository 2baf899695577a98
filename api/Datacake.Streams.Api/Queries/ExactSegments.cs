using Datacake.Streams.Api.Retention;

namespace Datacake.Streams.Api.Queries;

/// <summary>
/// Makes a tier plan exact (docs/QUERIES.md "Exact aggregates"): within raw's retention, a rollup segment answers
/// only the windows its tier has rolled up since their last point landed, i.e. before the tier's watermark and
/// without a late mark of any of the devices; every other window is read from raw with the same window and
/// aggregate, and so is a partial window at a range edge that does not fall on the tier's resolution (the rollup
/// holds the window whole). Seams fall on whole query windows, so no window is split between raw and a rollup. Pure.
/// </summary>
public static class ExactSegments
{
    public static TierPlan Refine(TierPlan plan, RollupFreshness freshness, RetentionSettings retention, DateTimeOffset now)
    {
        var segments = new List<TierSegment>(plan.Segments.Count + 2);
        foreach (TierSegment segment in plan.Segments)
        {
            if (segment.Tier == StorageTier.Raw || segment.Every is not { } every)
            {
                // Raw is exact by definition; a rollup over the whole range (no every) is past raw's retention.
                segments.Add(segment);
                continue;
            }

            // Only windows wholly inside raw's retention can come from raw; before them the rollup is the truth.
            DateTimeOffset rawEdge = QueryTime.CeilTo(now - retention.Raw, every);
            DateTimeOffset low = segment.From > rawEdge ? segment.From : rawEdge;
            DateTimeOffset notRolled = freshness.Watermarks.TryGetValue(segment.Tier, out DateTimeOffset watermark) ? QueryTime.FloorTo(watermark, every) : low;
            List<(DateTimeOffset, DateTimeOffset)> stale = RollupWindows.Merge(freshness.Marks, every, low, segment.To);
            stale.Add((notRolled, segment.To));

            // A range edge inside one of the tier's windows: the rollup holds that window whole, the query wants part.
            TimeSpan resolution = segment.Tier.Resolution();
            if (QueryTime.FloorTo(segment.From, resolution) != segment.From)
            {
                stale.Add((segment.From, QueryTime.CeilTo(segment.From, every)));
            }

            if (QueryTime.FloorTo(segment.To, resolution) != segment.To)
            {
                stale.Add((QueryTime.FloorTo(segment.To, every), segment.To));
            }

            DateTimeOffset cursor = segment.From;
            foreach ((DateTimeOffset from, DateTimeOffset to) in RollupWindows.Union(stale, low, segment.To))
            {
                if (from > cursor)
                {
                    segments.Add(segment with { From = cursor, To = from });
                }

                segments.Add(new TierSegment(StorageTier.Raw, from, to, every));
                cursor = to;
            }

            if (cursor < segment.To)
            {
                segments.Add(segment with { From = cursor, To = segment.To });
            }
        }

        return plan with { Segments = segments };
    }
}
