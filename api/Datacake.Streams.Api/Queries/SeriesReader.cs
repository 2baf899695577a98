using System.Globalization;
using System.Text.Json;
using Datacake.Streams.Api.Access;
using Datacake.Streams.Api.Retention;
using Datacake.Streams.Influx.Client;
using Datacake.Streams.Influx.Querying;
using Microsoft.Extensions.Options;

namespace Datacake.Streams.Api.Queries;

/// <summary>Plans a query over the tiers, runs its statements in one request to InfluxDB and joins the device names.</summary>
public sealed class SeriesReader(InfluxClient influx, RetentionCatalog catalog, ExactPlanner planner, TimeProvider timeProvider, IOptions<QueryLimits> limits)
{
    private static readonly JsonElement s_null = JsonElement.Parse("null");

    public QueryLimits Limits => limits.Value;

    public DateTimeOffset Now => timeProvider.GetUtcNow();

    public async Task<SeriesAnswer> ReadAsync(SeriesRequest request, CancellationToken cancellationToken)
    {
        string[] deviceIds = request.Devices.Select(d => d.Id.ToString()).ToArray();
        bool oneWindow = request.Aggregate is not null;
        bool wildcard = request.Fields is null;
        IReadOnlyList<string>? fields = request.Fields;
        TierPlan? plan = null;
        if (fields is null)
        {
            // Which fields a wildcard reads depends on the tiers (rollups hold numbers only): plan first.
            plan = await planner.PlanAsync(deviceIds, request.From, request.To, request.Every, oneWindow, cancellationToken);
            fields = await FieldKeysAsync(request.Devices, numericOnly: request.Aggregate is Aggregate.Mean or Aggregate.Sum or Aggregate.Median or Aggregate.Min or Aggregate.Max || plan.Segments.Any(s => s.Tier != StorageTier.Raw), cancellationToken);
        }

        var perKey = new Dictionary<string, List<SeriesPoint>>(StringComparer.Ordinal);
        if (fields.Count == 0)
        {
            plan ??= await planner.PlanAsync(deviceIds, request.From, request.To, request.Every, oneWindow, cancellationToken);
        }
        else if (!request.GroupByDevice && deviceIds.Length > 1)
        {
            Aggregate aggregate = request.Aggregate ?? Aggregate.Mean;
            (plan, IReadOnlyList<InfluxStatementResult> results) = await RunAsync(request, deviceIds, plan, p => string.Join(";\n", p.Segments.Select(s => SeriesStatement.BuildParts(catalog.Database, s, deviceIds, fields, aggregate))), cancellationToken);
            perKey[string.Empty] = Combine(request, plan, results, fields, aggregate);
        }
        else
        {
            int max = limits.Value.MaxPointsPerSeries;
            (plan, IReadOnlyList<InfluxStatementResult> results) = await RunAsync(request, deviceIds, plan, p => string.Join(";\n", p.Segments.Select(s => SeriesStatement.Build(catalog.Database, s, deviceIds, fields, request.Aggregate, request.Fill, request.GroupByDevice, max + 1))), cancellationToken);
            for (int i = 0; i < results.Count && i < plan.Segments.Count; i++)
            {
                TierSegment segment = plan.Segments[i];
                bool tierPoints = SeriesStatement.ReadsTierPoints(segment, request.Fill);
                foreach (InfluxSeries series in results[i].Series)
                {
                    string key = request.GroupByDevice && series.Tags.TryGetValue("device", out string? device) ? device : string.Empty;
                    if (!perKey.TryGetValue(key, out List<SeriesPoint>? points))
                    {
                        perKey[key] = points = [];
                    }

                    if (tierPoints)
                    {
                        // The windows are made here: counted before they are (an InfluxQL range may be years of minutes).
                        if (request.Fill != FillMode.None && points.Count + TierPointWindows.Count(segment.From, segment.To, segment.Every!.Value) > max)
                        {
                            throw TooLarge(request, max);
                        }

                        var stored = new List<SeriesPoint>(series.Values.Count);
                        AppendPoints(series, fields, stored);
                        TierPointWindows.AppendFilled(points, stored, segment.From, segment.To, segment.Every!.Value, request.Fill, request.Aggregate ?? Aggregate.Mean, fields);
                    }
                    else
                    {
                        AppendPoints(series, fields, points);
                    }

                    if (points.Count > max)
                    {
                        throw TooLarge(request, max);
                    }
                }
            }
        }

        var answer = new List<DeviceSeries>();
        if (request.GroupByDevice)
        {
            foreach (ReadableDevice device in request.Devices)
            {
                List<SeriesPoint> points = perKey.GetValueOrDefault(device.Id.ToString()) ?? [];
                answer.Add(new DeviceSeries(new DeviceRef(device.Id.ToString(), device.Name), FieldsWithData(fields, points, wildcard), points));
            }
        }
        else
        {
            List<SeriesPoint> points = perKey.GetValueOrDefault(string.Empty) ?? [];
            answer.Add(new DeviceSeries(null, FieldsWithData(fields, points, wildcard), points));
        }

        return new SeriesAnswer(
            plan.Tier.Name(),
            plan.Stitched,
            plan.Segments.Select(s => new SegmentView(s.Tier.Name(), s.From, s.To, s.Every is { } e ? InfluxDuration.Format(e) : null)).ToList(),
            request.From,
            request.To,
            request.Every is { } every ? InfluxDuration.Format(every) : null,
            request.Aggregate?.Name(),
            answer);
    }

    private static QueryTooLargeException TooLarge(SeriesRequest request, int max) =>
        new(string.Create(CultureInfo.InvariantCulture, $"more than {max} points per series; give every={Hint(request.To - request.From, max)} (and agg) or a shorter range"));

    /// <summary>The plan's statements in one request with its freshness check (<see cref="ExactPlanner.QueryAsync"/>), or over a plan made already.</summary>
    private async Task<(TierPlan Plan, IReadOnlyList<InfluxStatementResult> Results)> RunAsync(
        SeriesRequest request, string[] deviceIds, TierPlan? planned, Func<TierPlan, string> statements, CancellationToken cancellationToken)
    {
        if (planned is not null)
        {
            return (planned, (await influx.QueryAsync(statements(planned), catalog.Database, cancellationToken)).Statements);
        }

        return await planner.QueryAsync(deviceIds, request.From, request.To, request.Every, oneWindow: request.Aggregate is not null, statements, cancellationToken);
    }

    /// <summary>Devices combined into one series: per-device parts per segment, combined here (<see cref="CombinedSeries"/>).</summary>
    private static List<SeriesPoint> Combine(SeriesRequest request, TierPlan plan, IReadOnlyList<InfluxStatementResult> results, IReadOnlyList<string> fields, Aggregate aggregate)
    {
        var points = new List<SeriesPoint>();
        for (int i = 0; i < results.Count && i < plan.Segments.Count; i++)
        {
            var combined = new CombinedSeries(aggregate, fields);
            foreach (InfluxSeries series in results[i].Series)
            {
                combined.Add(series);
            }

            TierSegment segment = plan.Segments[i];
            points.AddRange(combined.Points(segment.From, segment.To, segment.Every, request.Fill));
        }

        return points;
    }

    /// <summary>The last value of each field per device, from raw (optionally within [from, to)).</summary>
    public async Task<IReadOnlyList<LastAnswer>> ReadLastAsync(IReadOnlyList<ReadableDevice> devices, IReadOnlyList<string>? fields, DateTimeOffset? from, DateTimeOffset? to, CancellationToken cancellationToken)
    {
        IReadOnlyList<string> names = fields ?? await FieldKeysAsync(devices, numericOnly: false, cancellationToken);
        var values = devices.ToDictionary(d => d.Id.ToString(), _ => new Dictionary<string, LastValue>(StringComparer.Ordinal), StringComparer.Ordinal);
        if (names.Count > 0 && devices.Count > 0)
        {
            string[] ids = devices.Select(d => d.Id.ToString()).ToArray();
            string text = string.Join(";\n", names.Select(f => SeriesStatement.Last(catalog.Database, ids, f, from, to)));
            InfluxQueryResult result = await influx.QueryAsync(text, catalog.Database, cancellationToken);
            for (int i = 0; i < result.Statements.Count && i < names.Count; i++)
            {
                foreach (InfluxSeries series in result.Statements[i].Series)
                {
                    if (series.Tags.TryGetValue("device", out string? device) && values.TryGetValue(device, out Dictionary<string, LastValue>? perField)
                        && series.Values.Count > 0 && !series.IsNull(0, names[i]))
                    {
                        perField[names[i]] = new LastValue(QueryTime.FromUnixNanoseconds(series.GetInt64(0, "time")), series.Value(0, names[i]));
                    }
                }
            }
        }

        return devices.Select(d => new LastAnswer(new DeviceRef(d.Id.ToString(), d.Name), values[d.Id.ToString()])).ToList();
    }

    /// <summary>
    /// The field keys the raw measurements of <paramref name="devices"/> hold (their own, never another device's), of a
    /// numeric last value only when <paramref name="numericOnly"/>. Found by <c>last(*)</c> per device, not by
    /// <c>SHOW FIELD KEYS</c>: influxd 1.6's cost of that grows with the square of the measurements named (1 device
    /// 8 ms, 10 devices 82 ms, 100 devices 6.9 s), where <c>last(*)</c> over 1,000 devices took ~0.1 s.
    /// </summary>
    public async Task<IReadOnlyList<string>> FieldKeysAsync(IReadOnlyList<ReadableDevice> devices, bool numericOnly, CancellationToken cancellationToken) =>
        (await PresentFieldsAsync(devices, cancellationToken))
            .Where(p => !numericOnly || p.Kind == JsonValueKind.Number)
            .Select(p => p.Field)
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .ToList();

    /// <summary>
    /// The field keys of <paramref name="devices"/> with InfluxDB's type of each: the fields from <c>last(*)</c>, the
    /// types from <c>SHOW FIELD KEYS</c> of only as many devices as hold every field between them, one measurement per
    /// statement (see <see cref="FieldKeysAsync"/> for why). A key with different types in different devices has the
    /// type of the first device (by id) that holds it.
    /// </summary>
    public async Task<IReadOnlyList<(string Key, string Type)>> FieldTypesAsync(IReadOnlyList<ReadableDevice> devices, CancellationToken cancellationToken)
    {
        var owners = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach ((string device, string field, _) in (await PresentFieldsAsync(devices, cancellationToken)).OrderBy(p => p.Device, StringComparer.Ordinal))
        {
            owners.TryAdd(field, device);
        }

        if (owners.Count == 0)
        {
            return [];
        }

        string[] typing = owners.Values.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        InfluxQueryResult result = await influx.QueryAsync(string.Join(";\n", typing.Select(d => SeriesStatement.FieldKeys(catalog.Database, [d]))), catalog.Database, cancellationToken);
        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < result.Statements.Count && i < typing.Length; i++)
        {
            foreach (InfluxSeries series in result.Statements[i].Series)
            {
                for (int row = 0; row < series.Values.Count; row++)
                {
                    if (series.GetString(row, "fieldKey") is { } key && series.GetString(row, "fieldType") is { } type && owners.GetValueOrDefault(key) == typing[i])
                    {
                        types[key] = type;
                    }
                }
            }
        }

        return owners.Keys.Where(types.ContainsKey).Select(k => (k, types[k])).ToList();
    }

    /// <summary>Each device's fields with a value in raw, and the JSON kind of the last one: <c>last(*)</c> per device.</summary>
    private async Task<List<(string Device, string Field, JsonValueKind Kind)>> PresentFieldsAsync(IReadOnlyList<ReadableDevice> devices, CancellationToken cancellationToken)
    {
        var present = new List<(string, string, JsonValueKind)>();
        if (devices.Count == 0)
        {
            return present;
        }

        InfluxQueryResult result = await influx.QueryAsync(SeriesStatement.PresentFields(catalog.Database, devices.Select(d => d.Id.ToString()).ToArray()), catalog.Database, cancellationToken);
        foreach (InfluxSeries series in result.Statements[0].Series)
        {
            if (!series.Tags.TryGetValue("device", out string? device) || series.Values.Count == 0)
            {
                continue;
            }

            foreach (string column in series.Columns)
            {
                string field = column.StartsWith("last_", StringComparison.Ordinal) ? column["last_".Length..] : string.Empty;
                JsonValueKind kind = field.Length > 0 ? series.Value(0, column).ValueKind : JsonValueKind.Undefined;
                if (kind is not (JsonValueKind.Undefined or JsonValueKind.Null) && SeriesParameters.IsFieldName(field))
                {
                    present.Add((device, field, kind));
                }
            }
        }

        return present;
    }

    /// <summary>A window that keeps <paramref name="range"/> within <paramref name="maxPoints"/>, in a round unit.</summary>
    public static string Hint(TimeSpan range, int maxPoints)
    {
        TimeSpan[] steps = [TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(15), TimeSpan.FromHours(1), TimeSpan.FromHours(6), TimeSpan.FromDays(1), TimeSpan.FromDays(7)];
        TimeSpan step = steps.FirstOrDefault(s => range / s <= maxPoints, TimeSpan.FromDays(30));
        return InfluxDuration.Format(step);
    }

    private static void AppendPoints(InfluxSeries series, IReadOnlyList<string> fields, List<SeriesPoint> points)
    {
        int timeColumn = series.ColumnIndex("time");
        int[] columns = fields.Select(series.ColumnIndex).ToArray();
        foreach (JsonElement[] row in series.Values)
        {
            var values = new Dictionary<string, JsonElement>(fields.Count, StringComparer.Ordinal);
            for (int f = 0; f < fields.Count; f++)
            {
                values[fields[f]] = columns[f] >= 0 ? row[columns[f]] : s_null;
            }

            points.Add(new SeriesPoint(QueryTime.FromUnixNanoseconds(row[timeColumn].GetInt64()), values));
        }
    }

    /// <summary>Named fields stay as asked; of a wildcard, only fields with a value for this series (no other workspace's names).</summary>
    private static List<string> FieldsWithData(IReadOnlyList<string> fields, List<SeriesPoint> points, bool wildcard)
    {
        if (!wildcard)
        {
            return [.. fields];
        }

        var present = fields.Where(f => points.Any(p => p.Values.TryGetValue(f, out JsonElement v) && v.ValueKind != JsonValueKind.Null)).ToList();
        if (present.Count < fields.Count)
        {
            for (int i = 0; i < points.Count; i++)
            {
                IReadOnlyDictionary<string, JsonElement> all = points[i].Values;
                points[i] = points[i] with { Values = present.ToDictionary(f => f, f => all[f], StringComparer.Ordinal) };
            }
        }

        return present;
    }
}
