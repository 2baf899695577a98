namespace Datacake.Streams.Api.Retention;

/// <summary>Window arithmetic (epoch-aligned windows, late marks), shared by the refresher (tier windows) and the query planner (query windows).</summary>
public static class RollupWindows
{
    /// <summary>Rounds down to a multiple of <paramref name="step"/> since the epoch (InfluxDB aligns GROUP BY time so).</summary>
    public static DateTimeOffset Floor(DateTimeOffset time, TimeSpan step)
    {
        long since = time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        long rest = ((since % step.Ticks) + step.Ticks) % step.Ticks;
        return time.AddTicks(-rest);
    }

    /// <summary>Rounds up to the next multiple of <paramref name="step"/> since the epoch.</summary>
    public static DateTimeOffset Ceil(DateTimeOffset time, TimeSpan step)
    {
        DateTimeOffset floor = Floor(time, step);
        return floor == time ? time : floor + step;
    }

    /// <summary>
    /// The whole windows of <paramref name="step"/> (epoch-aligned, as InfluxDB's <c>GROUP BY time</c>) that hold a
    /// point of <paramref name="marks"/>, merged, clipped to [<paramref name="low"/>, <paramref name="high"/>), oldest first.
    /// </summary>
    public static List<(DateTimeOffset From, DateTimeOffset To)> Merge(IEnumerable<LateMark> marks, TimeSpan step, DateTimeOffset low, DateTimeOffset high)
    {
        // A mark's To is its latest point, inclusive: the window after it starts one tick later.
        IEnumerable<(DateTimeOffset, DateTimeOffset)> ranges = marks.Select(m => (Floor(m.From, step), Floor(m.To, step) + step));
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
