using System.Text.Json;
using Datacake.Streams.Influx.Querying;

namespace Datacake.Streams.Api.Queries;

/// <summary>
/// Combines the per-device parts of <see cref="SeriesStatement.BuildParts"/> into one series: per window, mean =
/// Σsum/Σcount, sum = Σsum, count = Σcount, min = min of mins, max = max of maxes (exact), then fills the windows
/// no device had data in as the request asks (InfluxDB aligns windows to multiples of <c>every</c> from the epoch).
/// </summary>
public sealed class CombinedSeries(Aggregate aggregate, IReadOnlyList<string> fields)
{
    private static readonly JsonElement s_null = JsonElement.Parse("null");
    private readonly SortedDictionary<long, Window> _windows = [];

    /// <summary>Adds one device's series of parts.</summary>
    public void Add(InfluxSeries series)
    {
        int time = series.ColumnIndex("time");
        var columns = new (int Sum, int Count, int Min, int Max)[fields.Count];
        for (int i = 0; i < fields.Count; i++)
        {
            columns[i] = (series.ColumnIndex("s" + i), series.ColumnIndex("c" + i), series.ColumnIndex("n" + i), series.ColumnIndex("x" + i));
        }

        foreach (JsonElement[] row in series.Values)
        {
            long at = row[time].GetInt64();
            if (!_windows.TryGetValue(at, out Window? window))
            {
                _windows[at] = window = new Window(fields.Count);
            }

            for (int i = 0; i < fields.Count; i++)
            {
                window.Add(i, Number(row, columns[i].Sum), Number(row, columns[i].Count), Number(row, columns[i].Min), Number(row, columns[i].Max));
            }
        }
    }

    /// <summary>The combined points of [from, to) with <paramref name="every"/> windows (null: one point at <paramref name="from"/>).</summary>
    public List<SeriesPoint> Points(DateTimeOffset from, DateTimeOffset to, TimeSpan? every, FillMode fill)
    {
        var times = new List<long>();
        if (every is { } step && fill != FillMode.None)
        {
            long width = step.Ticks * 100;
            long start = (from - DateTimeOffset.UnixEpoch).Ticks * 100;
            long end = (to - DateTimeOffset.UnixEpoch).Ticks * 100;
            for (long t = start - (((start % width) + width) % width); t < end; t += width)
            {
                times.Add(t);
            }
        }
        else
        {
            times.AddRange(_windows.Keys);
        }

        var values = new double?[fields.Count][];
        for (int i = 0; i < fields.Count; i++)
        {
            values[i] = new double?[times.Count];
            for (int w = 0; w < times.Count; w++)
            {
                values[i][w] = _windows.TryGetValue(times[w], out Window? window) ? window.Result(i, aggregate) : null;
            }

            if (fill == FillMode.Previous)
            {
                for (int w = 1; w < times.Count; w++)
                {
                    values[i][w] ??= values[i][w - 1];
                }
            }
            else if (fill == FillMode.Linear)
            {
                Interpolate(times, values[i]);
            }
        }

        var points = new List<SeriesPoint>(times.Count);
        for (int w = 0; w < times.Count; w++)
        {
            var row = new Dictionary<string, JsonElement>(fields.Count, StringComparer.Ordinal);
            for (int i = 0; i < fields.Count; i++)
            {
                row[fields[i]] = values[i][w] is { } v
                    ? (aggregate == Aggregate.Count ? JsonSerializer.SerializeToElement((long)v) : JsonSerializer.SerializeToElement(v))
                    : s_null;
            }

            points.Add(new SeriesPoint(QueryTime.FromUnixNanoseconds(times[w]), row));
        }

        return points;
    }

    // Between two known windows only, as InfluxQL's fill(linear): no values invented before the first or after the last.
    private static void Interpolate(List<long> times, double?[] values)
    {
        int previous = -1;
        for (int w = 0; w < values.Length; w++)
        {
            if (values[w] is not { } v)
            {
                continue;
            }

            if (previous >= 0 && w - previous > 1)
            {
                double p = values[previous]!.Value;
                for (int g = previous + 1; g < w; g++)
                {
                    values[g] = p + ((v - p) * (times[g] - times[previous]) / (times[w] - times[previous]));
                }
            }

            previous = w;
        }
    }

    private static double? Number(JsonElement[] row, int column) =>
        column >= 0 && row[column].ValueKind == JsonValueKind.Number ? row[column].GetDouble() : null;

    private sealed class Window(int fields)
    {
        private readonly double[] _sum = new double[fields];
        private readonly double[] _count = new double[fields];
        private readonly double?[] _min = new double?[fields];
        private readonly double?[] _max = new double?[fields];
        private readonly bool[] _seen = new bool[fields];

        public void Add(int field, double? sum, double? count, double? min, double? max)
        {
            if (sum is null && count is null && min is null && max is null)
            {
                return;
            }

            _seen[field] = true;
            _sum[field] += sum ?? 0;
            _count[field] += count ?? 0;
            if (min is { } n)
            {
                _min[field] = _min[field] is { } m ? Math.Min(m, n) : n;
            }

            if (max is { } x)
            {
                _max[field] = _max[field] is { } m ? Math.Max(m, x) : x;
            }
        }

        public double? Result(int field, Aggregate aggregate)
        {
            if (!_seen[field])
            {
                return null;
            }

            return aggregate switch
            {
                Aggregate.Mean => _count[field] > 0 ? _sum[field] / _count[field] : null,
                Aggregate.Sum => _sum[field],
                Aggregate.Count => _count[field],
                Aggregate.Min => _min[field],
                _ => _max[field],
            };
        }
    }
}
