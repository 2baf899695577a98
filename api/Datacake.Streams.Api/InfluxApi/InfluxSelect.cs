using System.Globalization;
using System.Text;
using System.Text.Json;
using Datacake.Streams.Api.Access;
using Datacake.Streams.Api.InfluxApi.Language;
using Datacake.Streams.Api.Queries;
using Datacake.Streams.Api.Retention;
using Datacake.Streams.Influx.Client;
using Datacake.Streams.Influx.Querying;

namespace Datacake.Streams.Api.InfluxApi;

/// <summary>
/// Runs a <see cref="ScopedSelect"/>: the one seam where a SELECT meets storage. Aggregates of plain fields (mean, min,
/// max, sum, count, first, last, median) go through <see cref="SeriesReader"/>: the same tier plan, rollup mapping and
/// exact combination across devices as <c>/series</c>. Everything else (raw points, math, the other functions, a tier
/// named by the caller) is re-written over the devices' measurements of one tier, with every name re-quoted.
/// </summary>
/// <remarks>
/// InfluxDB never merges two measurements into one series, and every device is its own: series are grouped here.
/// Raw points of several devices merge exactly (by time); aggregates that cannot be combined exactly across devices
/// are refused unless grouped by device.
/// </remarks>
public sealed partial class InfluxSelect(InfluxClient influx, SeriesReader reader, RetentionCatalog catalog)
{
    private static readonly JsonElement _null = JsonElement.Parse("null");

    public async Task<IReadOnlyList<InfluxAnswerSeries>> ExecuteAsync(ScopedSelect select, CancellationToken cancellationToken)
    {
        SelectStatement statement = select.Statement;
        if (statement.Timezone is not null)
        {
            throw new InfluxStatementException("tz() is not supported: times are UTC");
        }

        if (select.Devices.Count == 0 || select.From >= select.To)
        {
            return [];
        }

        Grouping grouping = Grouping.Of(statement);
        CheckFields(statement);
        var answer = new List<InfluxAnswerSeries>();
        IEnumerable<IReadOnlyList<ReadableDevice>> partitions = grouping.PerDevice
            ? [select.Devices]
            : grouping.PerWorkspace
                ? select.Devices.GroupBy(d => d.WorkspaceId, StringComparer.Ordinal).Select(g => (IReadOnlyList<ReadableDevice>)g.ToList())
                : [select.Devices];
        foreach (IReadOnlyList<ReadableDevice> devices in partitions)
        {
            answer.AddRange(await PartitionAsync(select with { Devices = devices }, grouping, cancellationToken));
        }

        IEnumerable<InfluxAnswerSeries> ordered = answer
            .Where(s => s.Values.Count > 0)
            .OrderBy(s => s.Tags is null ? string.Empty : string.Join('\u0001', s.Tags.Values), StringComparer.Ordinal)
            .Skip(statement.SeriesOffset);
        return (statement.SeriesLimit > 0 ? ordered.Take(statement.SeriesLimit) : ordered).ToList();
    }

    /// <summary>One output series per device (grouped by device), or one for all of <paramref name="select"/>'s devices.</summary>
    private async Task<IReadOnlyList<InfluxAnswerSeries>> PartitionAsync(ScopedSelect select, Grouping grouping, CancellationToken cancellationToken)
    {
        SelectStatement statement = select.Statement;
        bool perDevice = grouping.PerDevice || select.Devices.Count == 1;
        if (select.Policy is null && PlainAggregate.Of(statement, select.FieldConditions) is { } plain)
        {
            if (!perDevice && !SeriesStatement.CombinesAcrossDevices(plain.Aggregate))
            {
                throw new InfluxStatementException($"{plain.Aggregate.Name()}() over several devices has no exact combination: add GROUP BY \"device\" or narrow to one device");
            }

            var request = new SeriesRequest(select.Devices, plain.Fields, select.From, select.To, plain.Every, plain.Aggregate, plain.Fill, GroupByDevice: perDevice);
            SeriesAnswer read;
            try
            {
                read = await reader.ReadAsync(request, cancellationToken);
            }
            catch (QueryTooLargeException ex)
            {
                throw new InfluxStatementException(ex.Message);
            }

            Dictionary<string, ReadableDevice> byId = select.Devices.ToDictionary(d => d.Id.ToString(), StringComparer.Ordinal);
            return read.Series.Select(s => FromSeriesReader(s, plain, select, s.Device is { } d ? byId[d.Id] : select.Devices[0], grouping)).ToList();
        }

        bool aggregates = statement.Fields.Any(f => ContainsCall(f.Expression));
        if (!perDevice && aggregates)
        {
            throw new InfluxStatementException("this function over several devices has no exact combination here (mean, sum, count, min and max do): add GROUP BY \"device\" or narrow to one device");
        }

        InfluxQueryResult result = await influx.QueryAsync(Rewrite(select, perDevice ? 0 : statement.Offset), catalog.Database, cancellationToken);
        var byDevice = select.Devices.ToDictionary(d => d.Id.ToString(), StringComparer.Ordinal);
        var series = new List<InfluxAnswerSeries>();
        foreach (InfluxSeries stored in result.Statements[0].Series)
        {
            if (stored.Tags.TryGetValue(Storage.StorageLayout.DeviceTag, out string? id) && byDevice.TryGetValue(id, out ReadableDevice? device))
            {
                series.Add(Rename(stored, device, grouping, statement));
            }
        }

        return perDevice ? series : [Merge(series, statement, grouping, select.Devices[0])];
    }

    /// <summary>
    /// The statement over the devices' measurements of one tier (each holds one device's points, so no device tag
    /// filter): fields re-written from the tree, time range from the scope, grouped by the stored device tag (one series per device). With several devices
    /// merged afterwards, LIMIT covers OFFSET too (applied after the merge).
    /// </summary>
    private string Rewrite(ScopedSelect select, int mergedOffset)
    {
        SelectStatement statement = select.Statement;
        string[] ids = select.Devices.Select(d => d.Id.ToString()).ToArray();
        var text = new StringBuilder("SELECT ");
        for (int i = 0; i < statement.Fields.Count; i++)
        {
            if (i > 0)
            {
                text.Append(", ");
            }

            SelectField field = statement.Fields[i];
            InfluxQlWriter.Append(text, WithoutTagWildcard(field.Expression));
            if (field.Alias is { } alias)
            {
                text.Append(" AS ").Append(InfluxQl.QuoteIdentifier(alias));
            }
        }

        StorageTier tier = select.Policy ?? StorageTier.Raw;
        text.Append(" FROM ").Append(SeriesStatement.From(catalog.Database, tier.Name(), ids))
            .Append(" WHERE time >= ").Append(InfluxDuration.Timestamp(select.From))
            .Append(" AND time < ").Append(InfluxDuration.Timestamp(select.To));
        foreach (InfluxExpr condition in select.FieldConditions)
        {
            InfluxQlWriter.Append(text.Append(" AND ("), condition).Append(')');
        }

        text.Append(" GROUP BY ");
        if (statement.Interval is { } interval)
        {
            text.Append("time(").Append(InfluxQlWriter.Duration(interval.Interval));
            if (interval.Offset != 0)
            {
                text.Append(", ").Append(InfluxQlWriter.Duration(interval.Offset));
            }

            text.Append("), ");
        }

        text.Append(InfluxQl.QuoteIdentifier(Storage.StorageLayout.DeviceTag));
        if (statement.Fill is { } fill)
        {
            text.Append(" fill(").Append(fill.Kind == FillKind.Number ? fill.Value.ToString("R", CultureInfo.InvariantCulture) : fill.Kind.ToString().ToLowerInvariant()).Append(')');
        }

        if (statement.Descending)
        {
            text.Append(" ORDER BY time DESC");
        }

        if (mergedOffset > 0 || statement.Limit > 0)
        {
            if (statement.Limit > 0)
            {
                text.Append(" LIMIT ").Append((statement.Limit + (long)mergedOffset).ToString(CultureInfo.InvariantCulture));
            }

            if (mergedOffset == 0 && statement.Offset > 0)
            {
                text.Append(" OFFSET ").Append(statement.Offset.ToString(CultureInfo.InvariantCulture));
            }
        }
        else if (statement.Offset > 0)
        {
            text.Append(" OFFSET ").Append(statement.Offset.ToString(CultureInfo.InvariantCulture));
        }

        return text.ToString();
    }

    /// <summary><c>*</c> would also list the stored <c>device</c> tag (an id): fields only, the virtual tags are added back.</summary>
    private static InfluxExpr WithoutTagWildcard(InfluxExpr expression) => expression switch
    {
        WildcardExpr { Cast: null } => new WildcardExpr("field"),
        CallExpr call => call with { Arguments = call.Arguments.Select(WithoutTagWildcard).ToList() },
        BinaryExpr binary => binary with { Left = WithoutTagWildcard(binary.Left), Right = WithoutTagWildcard(binary.Right) },
        ParenExpr paren => paren with { Inner = WithoutTagWildcard(paren.Inner) },
        _ => expression,
    };

    private static InfluxAnswerSeries Rename(InfluxSeries stored, ReadableDevice device, Grouping grouping, SelectStatement statement)
    {
        IReadOnlyList<string> columns = stored.Columns;
        IReadOnlyList<JsonElement[]> values = stored.Values;
        if (statement.Fields.Any(f => f.Expression is WildcardExpr { Cast: null }))
        {
            // SELECT * lists tags as columns too, all sorted after time (InfluxDB's order).
            var names = columns.Skip(1).Concat(VirtualSchema.Tags).Order(StringComparer.Ordinal).ToList();
            var tagValues = VirtualSchema.Tags.ToDictionary(t => t, t => JsonSerializer.SerializeToElement(VirtualSchema.TagValue(device, t)), StringComparer.Ordinal);
            int[] from = names.Select(n => VirtualSchema.IsTag(n) ? -1 : stored.ColumnIndex(n)).ToArray();
            values = values.Select(row =>
            {
                var copy = new JsonElement[names.Count + 1];
                copy[0] = row[0];
                for (int i = 0; i < names.Count; i++)
                {
                    copy[i + 1] = from[i] >= 0 ? row[from[i]] : tagValues[names[i]];
                }

                return copy;
            }).ToList();
            columns = ["time", .. names];
        }

        return new InfluxAnswerSeries(VirtualSchema.Measurement, grouping.TagsOf(device), columns, values);
    }

    /// <summary>Raw points of several devices as one series: by time (descending when asked), then OFFSET and LIMIT.</summary>
    private static InfluxAnswerSeries Merge(List<InfluxAnswerSeries> series, SelectStatement statement, Grouping grouping, ReadableDevice any)
    {
        var columns = new List<string> { "time" };
        columns.AddRange(series.SelectMany(s => s.Columns.Skip(1)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal));
        var rows = new List<(long Time, JsonElement[] Row)>();
        foreach (InfluxAnswerSeries one in series)
        {
            int[] map = columns.Select(c => IndexOf(one.Columns, c)).ToArray();
            foreach (JsonElement[] row in one.Values)
            {
                rows.Add((row[0].GetInt64(), map.Select(i => i >= 0 ? row[i] : _null).ToArray()));
            }
        }

        IEnumerable<(long Time, JsonElement[] Row)> ordered = statement.Descending ? rows.OrderByDescending(r => r.Time) : rows.OrderBy(r => r.Time);
        ordered = ordered.Skip(statement.Offset);
        if (statement.Limit > 0)
        {
            ordered = ordered.Take(statement.Limit);
        }

        return new InfluxAnswerSeries(VirtualSchema.Measurement, grouping.TagsOf(any), columns, ordered.Select(r => r.Row).ToList());
    }

    private static InfluxAnswerSeries FromSeriesReader(DeviceSeries series, PlainAggregate plain, ScopedSelect select, ReadableDevice device, Grouping grouping)
    {
        SelectStatement statement = select.Statement;
        IEnumerable<SeriesPoint> points = series.Points;
        if (!HasValue(series.Points, plain.Fields))
        {
            // InfluxDB answers no series at all for a measurement without a point in the range, whatever the fill.
            points = [];
        }

        if (statement.Descending)
        {
            points = points.Reverse();
        }

        points = points.Skip(statement.Offset);
        if (statement.Limit > 0)
        {
            points = points.Take(statement.Limit);
        }

        var rows = new List<JsonElement[]>();
        var times = new List<long>();
        foreach (SeriesPoint p in points)
        {
            var row = new JsonElement[plain.Fields.Count + 1];
            for (int i = 0; i < plain.Fields.Count; i++)
            {
                row[i + 1] = p.Values.TryGetValue(plain.Fields[i], out JsonElement value) ? value : _null;
            }

            rows.Add(row);
            times.Add((p.Time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100);
        }

        return new InfluxAnswerSeries(VirtualSchema.Measurement, grouping.TagsOf(device), ["time", .. plain.Columns], rows, times);
    }

    // Loops, not nested All(): once per device, and last values of 1,000 devices spent ~7% of the host's time in the
    // closures (a thread-time trace).
    private static bool HasValue(IReadOnlyList<SeriesPoint> points, IReadOnlyList<string> fields)
    {
        for (int p = 0; p < points.Count; p++)
        {
            for (int f = 0; f < fields.Count; f++)
            {
                if (points[p].Values.TryGetValue(fields[f], out JsonElement value) && value.ValueKind != JsonValueKind.Null)
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static int IndexOf(IReadOnlyList<string> columns, string name)
    {
        for (int i = 0; i < columns.Count; i++)
        {
            if (columns[i] == name)
            {
                return i;
            }
        }

        return -1;
    }
}
