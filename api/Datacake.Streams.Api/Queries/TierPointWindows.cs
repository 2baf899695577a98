using System.Text.Json;

namespace Datacake.Streams.Api.Queries;

/// <summary>
/// The windows of a segment read as the tier's points (<see cref="SeriesStatement.ReadsTierPoints"/>): every window of
/// [from, to) aligned to the epoch, as InfluxDB's <c>GROUP BY time</c> makes them, holding the point stored at its start
/// or, where none is, what the fill asks for: nothing (none), nulls (null; 0 for a count, as influxd answers an empty
/// window's count, and a field's count a stored point lacks), each field's value of the window before (previous; from
/// within the segment only, as influxd fills within one statement).
/// </summary>
public static class TierPointWindows
{
    private static readonly JsonElement s_null = JsonElement.Parse("null");
    private static readonly JsonElement s_zero = JsonElement.Parse("0");

    /// <summary>Appends <paramref name="stored"/> (ascending, one per window start) with the fill's windows to <paramref name="into"/>.</summary>
    public static void AppendFilled(
        List<SeriesPoint> into,
        IReadOnlyList<SeriesPoint> stored,
        DateTimeOffset from,
        DateTimeOffset to,
        TimeSpan every,
        FillMode fill,
        Aggregate aggregate,
        IReadOnlyList<string> fields)
    {
        if (fill == FillMode.None || stored.Count == 0)
        {
            // InfluxDB answers no series for a measurement without a point in the range, whatever the fill.
            into.AddRange(stored);
            return;
        }

        JsonElement empty = aggregate == Aggregate.Count ? s_zero : s_null;
        JsonElement[]? previous = fill == FillMode.Previous ? new JsonElement[fields.Count] : null;
        if (previous is not null)
        {
            // Before the first value, null even for a count (influxd's fill(previous) of a count does so).
            Array.Fill(previous, s_null);
        }

        int next = 0;
        for (DateTimeOffset window = QueryTime.FloorTo(from, every); window < to; window += every)
        {
            while (next < stored.Count && stored[next].Time < window)
            {
                // Not at a window start: cannot come from a tier's own windows; kept in time order all the same.
                into.Add(stored[next++]);
            }

            SeriesPoint? point = next < stored.Count && stored[next].Time == window ? stored[next++] : null;
            if (previous is null)
            {
                into.Add(point is null ? new SeriesPoint(window, Empty(fields, empty))
                    : aggregate == Aggregate.Count ? CountedZero(point, fields)
                    : point);
                continue;
            }

            var values = new Dictionary<string, JsonElement>(fields.Count, StringComparer.Ordinal);
            for (int f = 0; f < fields.Count; f++)
            {
                JsonElement value = point is not null && point.Values.TryGetValue(fields[f], out JsonElement v) ? v : s_null;
                if (value.ValueKind == JsonValueKind.Null)
                {
                    value = previous[f];
                }

                values[fields[f]] = previous[f] = value;
            }

            into.Add(new SeriesPoint(window, values));
        }

        into.AddRange(stored.Skip(next));
    }

    /// <summary>How many windows of <paramref name="every"/> [from, to) has, the first aligned down to the epoch.</summary>
    public static long Count(DateTimeOffset from, DateTimeOffset to, TimeSpan every)
    {
        DateTimeOffset first = QueryTime.FloorTo(from, every);
        return first >= to ? 0 : ((to - first).Ticks + every.Ticks - 1) / every.Ticks;
    }

    /// <summary>influxd's count under fill(null) is 0 for a field without a value in a window other fields have values in.</summary>
    private static SeriesPoint CountedZero(SeriesPoint point, IReadOnlyList<string> fields)
    {
        Dictionary<string, JsonElement>? values = null;
        for (int f = 0; f < fields.Count; f++)
        {
            if (!point.Values.TryGetValue(fields[f], out JsonElement value) || value.ValueKind == JsonValueKind.Null)
            {
                values ??= new Dictionary<string, JsonElement>(point.Values, StringComparer.Ordinal);
                values[fields[f]] = s_zero;
            }
        }

        return values is null ? point : point with { Values = values };
    }

    private static Dictionary<string, JsonElement> Empty(IReadOnlyList<string> fields, JsonElement empty)
    {
        var values = new Dictionary<string, JsonElement>(fields.Count, StringComparer.Ordinal);
        foreach (string field in fields)
        {
            values[field] = empty;
        }

        return values;
    }
}
