using Datacake.Streams.Api.Queries;

namespace Datacake.Streams.Api.Retention;

/// <summary>Window arithmetic of late marks, shared by the refresher (tier windows) and the query planner (query windows).</summary>
public static class RollupWindows
{
    /// <summary>
    /// The whole windows of <paramref name="step"/> (epoch-aligned, as InfluxDB's <c>GROUP BY time</c>) that hold a
    /// point of <paramref name="marks"/>, merged, clipped to [<paramref name="low"/>, <paramref name="high"/>), oldest first.
    /// </summary>
    public static List<(DateTimeOffset From, DateTimeOffset To)> Merge(IEnumerable<LateMark> marks, TimeSpan step, DateTimeOffset low, DateTimeOffset high)
    {
        // A mark's To is its latest point, inclusive: the window after it starts one tick later.
        IEnumerable<(DateTimeOffset, DateTimeOffset)> ranges = marks.Select(m => (QueryTime.FloorTo(m.From, step), QueryTime.FloorTo(m.To, step) + step));
        return Union(ranges, low, high);
    }

    /// <summary>The union of <paramref name="ranges"/> clipped to [<paramref name="low"/>, <paramref name="high"/>), oldest first, touching ranges joined.</summary>
    public static List<(DateTimeOffset From, DateTimeOffset To)> Union(IEnumerable<(DateTimeOffset From, DateTimeOffset To)> ranges, DateTimeOffset low, DateTimeOffset high)
    {
        var merged = new List<(DateTimeOffset From, DateTimeOffset To)>();
        foreach ((DateTimeOffset from, DateTimeOffset to) in ranges
            .Select(r => (From: r.From < low ? low : r.From, To: r.To > high ? high : r.To))
            .Where(r => r.From < r.To)
            .OrderBy(r => r.From))
        {
            if (merged.Count > 0 && from <= merged[^1].To)
            {
                if (to > merged[^1].To)
                {
                    merged[^1] = (merged[^1].From, to);
                }
            }
            else
            {
                merged.Add((from, to));
            }
        }

        return merged;
    }
}
