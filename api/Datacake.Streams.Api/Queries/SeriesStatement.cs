using Datacake.Streams.Api.Access;
using System.Globalization;
using System.Text;
using Datacake.Streams.Api.Retention;
using Datacake.Streams.Influx.Querying;
using Datacake.Streams.Storage;

namespace Datacake.Streams.Api.Queries;

/// <summary>
/// Builds the InfluxQL of one <see cref="TierSegment"/>. Every name and device id goes through <see cref="InfluxQl"/>
/// quoting; aggregates and fills come from closed enums; times are integer literals. Output columns are named
/// after the requested fields (aliases), so raw and rollup segments read back the same way. A query reads only the
/// measurements of its devices (<see cref="StorageLayout"/>: one per device).
/// </summary>
/// <remarks>
/// Rollup tiers hold <c>mean_f</c>, <c>min_f</c>, <c>max_f</c>, <c>count_f</c> per window. Over them: mean is the
/// count-weighted mean Σ(mean·count)/Σcount (exact, where the plain mean of means would over-weight sparse
/// minutes); sum is Σ(mean·count); count is Σcount; min and max are min of min_f and max of max_f (exact);
/// first, last and median work on the window means (approximations, the only ones).
/// </remarks>
public static partial class SeriesStatement
{
    /// <param name="aggregate">Null: raw points (raw segments only; rollup segments then use mean).</param>
    /// <param name="limit">Raw points only: LIMIT per series, to detect a too-large answer without reading it.</param>
    public static string Build(
        string database,
        TierSegment segment,
        IReadOnlyList<string> deviceIds,
        IReadOnlyList<string> fields,
        Aggregate? aggregate,
        FillMode fill,
        bool groupByDevice,
        int limit)
    {
        ArgumentOutOfRangeException.ThrowIfZero(deviceIds.Count);
        ArgumentOutOfRangeException.ThrowIfZero(fields.Count);
        string source = From(database, segment.Tier.Name(), deviceIds);
        // Only the time range: FROM names exactly the devices' own measurements, each holding one device's points
        // (StorageLayout), so a device tag filter adds nothing but influxd's time.
        string where = TimeRange(segment.From, segment.To);
        var text = new StringBuilder(256);
        if (segment.Tier == StorageTier.Raw && aggregate is null)
        {
            text.Append("SELECT ");
            AppendList(text, fields, (b, f, _) => b.Append(InfluxQl.QuoteIdentifier(f)));
            text.Append(" FROM ").Append(source).Append(" WHERE ").Append(where)
                .Append(" GROUP BY ").Append(InfluxQl.QuoteIdentifier("device"))
                .Append(" ORDER BY time ASC LIMIT ").Append(limit.ToString(CultureInfo.InvariantCulture));
            return text.ToString();
        }

        Aggregate agg = aggregate ?? Aggregate.Mean;
        text.Append("SELECT ");
        if (ReadsTierPoints(segment, fill))
        {
            // One stored point per window: read the points, the windows are made in the API (TierPointWindows).
            AppendList(text, fields, (b, f, _) => AppendTierPointExpression(b, agg, f).Append(" AS ").Append(InfluxQl.QuoteIdentifier(f)));
            text.Append(" FROM ").Append(source).Append(" WHERE ").Append(where);
            if (groupByDevice)
            {
                text.Append(" GROUP BY ").Append(InfluxQl.QuoteIdentifier("device"));
            }

            return text.ToString();
        }

        if (segment.Tier == StorageTier.Raw)
        {
            AppendList(text, fields, (b, f, _) => b.Append(agg.Name()).Append('(').Append(InfluxQl.QuoteIdentifier(f)).Append(") AS ").Append(InfluxQl.QuoteIdentifier(f)));
            text.Append(" FROM ").Append(source).Append(" WHERE ").Append(where);
        }
        else if (DirectOverRollup(agg, segment))
        {
            AppendList(text, fields, (b, f, _) => AppendDirectRollupExpression(b, agg, f).Append(" AS ").Append(InfluxQl.QuoteIdentifier(f)));
            text.Append(" FROM ").Append(source).Append(" WHERE ").Append(where);
        }
        else
        {
            // Positional inner aliases (p0, c0, ...) keep caller text out of the outer expressions entirely.
            AppendList(text, fields, (b, f, i) => AppendRollupExpression(b, agg, i).Append(" AS ").Append(InfluxQl.QuoteIdentifier(f)));
            text.Append(" FROM (SELECT ");
            AppendList(text, fields, (b, f, i) => AppendRollupColumns(b, agg, f, i));
            text.Append(" FROM ").Append(source).Append(" WHERE ").Append(where);
            if (groupByDevice)
            {
                text.Append(" GROUP BY ").Append(InfluxQl.QuoteIdentifier("device"));
            }

            text.Append(") WHERE ").Append(TimeRange(segment.From, segment.To));
        }

        var groupBy = new List<string>(2);
        if (segment.Every is { } every)
        {
            groupBy.Add($"time({InfluxDuration.Format(every)})");
        }

        if (groupByDevice)
        {
            groupBy.Add(InfluxQl.QuoteIdentifier("device"));
        }

        if (groupBy.Count > 0)
        {
            text.Append(" GROUP BY ").AppendJoin(", ", groupBy);
        }

        if (segment.Every is not null)
        {
            text.Append(" fill(").Append(fill.Name()).Append(')');
        }

        return text.ToString();
    }

    /// <summary>The last value of one field per device, with its own time (a lone selector keeps the point's time).</summary>
    public static string Last(string database, IReadOnlyList<string> deviceIds, string field, DateTimeOffset? from, DateTimeOffset? to)
    {
        var text = new StringBuilder(128);
        // No device tag filter: FROM names exactly these devices' measurements, each holding one device's points
        // (StorageLayout).
        text.Append("SELECT last(").Append(InfluxQl.QuoteIdentifier(field)).Append(") AS ").Append(InfluxQl.QuoteIdentifier(field))
            .Append(" FROM ").Append(From(database, RetentionPolicyNames.Raw, deviceIds));
        if (from is { } start)
        {
            text.Append(" WHERE time >= ").Append(InfluxDuration.Timestamp(start));
        }

        if (to is { } end)
        {
            text.Append(from is null ? " WHERE" : " AND").Append(" time < ").Append(InfluxDuration.Timestamp(end));
        }

        return text.Append(" GROUP BY ").Append(InfluxQl.QuoteIdentifier("device")).ToString();
    }

    /// <summary>Which fields each device has in raw: <c>last(*)</c> per device, non-null columns are present.</summary>
    public static string PresentFields(string database, IReadOnlyList<string> deviceIds) =>
        $"SELECT last(*) FROM {From(database, RetentionPolicyNames.Raw, deviceIds)} GROUP BY {InfluxQl.QuoteIdentifier("device")}";

    /// <summary>The field keys of these devices' raw measurements: never another device's names.</summary>
    public static string FieldKeys(string database, IReadOnlyList<string> deviceIds) =>
        $"SHOW FIELD KEYS ON {InfluxQl.QuoteIdentifier(database)} FROM {From(database, RetentionPolicyNames.Raw, deviceIds)}";

    /// <summary>
    /// The measurements of <paramref name="deviceIds"/> in <paramref name="policy"/>, each named and quoted. Named, not
    /// one anchored regex of the ids: influxd matches a regex source against every measurement name of the database,
    /// and with 1,000 alternatives that alone took ~200 ms of a 250 ms last-values query where the 1,000 names cost
    /// ~50 ms (docs/BENCHMARKS.md, "/query beside InfluxDB direct").
    /// </summary>
    public static string From(string database, string policy, IReadOnlyList<string> deviceIds)
    {
        ArgumentOutOfRangeException.ThrowIfZero(deviceIds.Count);
        string prefix = $"{InfluxQl.QuoteIdentifier(database)}.{InfluxQl.QuoteIdentifier(policy)}.";
        var text = new StringBuilder(deviceIds.Count * (prefix.Length + 40));
        for (int i = 0; i < deviceIds.Count; i++)
        {
            if (i > 0)
            {
                text.Append(',');
            }

            text.Append(prefix).Append(InfluxQl.QuoteIdentifier(deviceIds[i]));
        }

        return text.ToString();
    }

    private static string TimeRange(DateTimeOffset from, DateTimeOffset to) =>
        $"time >= {InfluxDuration.Timestamp(from)} AND time < {InfluxDuration.Timestamp(to)}";

    internal static string DeviceFilter(IReadOnlyList<string> deviceIds)
    {
        // influxd 1.6 plans a long OR chain of tag equalities slowly (1,000 devices: ~5.4 s measured here); one
        // anchored regex over the tag index is far cheaper. Only for ids of [0-9a-z_] (every DeviceId), which need
        // no escaping inside /…/; anything else keeps the quoted equality form.
        if (deviceIds.Count > RegexFromDevices && deviceIds.All(IsPlainId))
        {
            return $"{InfluxQl.QuoteIdentifier("device")} =~ /^(?:{string.Join('|', deviceIds)})$/";
        }

        var text = new StringBuilder(deviceIds.Count * 48);
        text.Append('(');
        for (int i = 0; i < deviceIds.Count; i++)
        {
            if (i > 0)
            {
                text.Append(" OR ");
            }

            text.Append(InfluxQl.QuoteIdentifier("device")).Append(" = ").Append(InfluxQl.QuoteString(deviceIds[i]));
        }

        return text.Append(')').ToString();
    }

    private const int RegexFromDevices = 8;

    private static bool IsPlainId(string id) => id.Length is > 0 and <= 64 && id.All(c => char.IsAsciiDigit(c) || char.IsAsciiLetterLower(c) || c == '_');

    /// <summary>
    /// Whether the aggregate reads the rollup columns straight, without the weighting subquery (which cost influxd
    /// ~15 ms where the plain statement took ~9 ms for a day of minutes: docs/BENCHMARKS.md). min of min_f, max of
    /// max_f and the sum of count_f are exact over any window; first, last and median of the window means are what
    /// the subquery answered too; the mean is the stored mean itself when the window is the tier's own (one rollup
    /// point per device and window: a point's time and its one device tag are its key). The count-weighted mean over
    /// wider windows and the sum (Σ mean·count) need the subquery.
    /// </summary>
    private static bool DirectOverRollup(Aggregate agg, TierSegment segment) => agg switch
    {
        Aggregate.Sum => false,
        Aggregate.Mean => segment.Every == segment.Tier.Resolution(),
        _ => true,
    };

    /// <summary>
    /// Whether a rollup segment is answered from the tier's points as they are stored, without <c>GROUP BY time</c>:
    /// its window is the tier's own, so each stored point (at its window's start, one per device: its time and its one
    /// device tag are its key) is that window's aggregate, and <see cref="TierPointWindows"/> adds the empty windows
    /// the fill asks for. influxd 1.6 takes ~7.5 ms to group a day of m1 points into 1,440 one-minute windows and
    /// ~3.2 ms to read the same points (docs/BENCHMARKS.md, "/query beside InfluxDB direct"). fill(linear) keeps the
    /// grouped statement: influxd interpolates integers (counts) as integers.
    /// </summary>
    public static bool ReadsTierPoints(TierSegment segment, FillMode fill) =>
        segment.Tier != StorageTier.Raw && segment.Every == segment.Tier.Resolution() && fill != FillMode.Linear;

    /// <summary>A window's aggregate from its one rollup point: what the grouped statements answer over one point.</summary>
    private static StringBuilder AppendTierPointExpression(StringBuilder text, Aggregate agg, string field)
    {
        string Column(string prefix) => InfluxQl.QuoteIdentifier(prefix + "_" + field);
        return agg switch
        {
            Aggregate.Count => text.Append(Column("count")),
            Aggregate.Min => text.Append(Column("min")),
            Aggregate.Max => text.Append(Column("max")),
            Aggregate.Sum => text.Append(Column("mean")).Append(" * ").Append(Column("count")),
            _ => text.Append(Column("mean")),
        };
    }

    private static StringBuilder AppendDirectRollupExpression(StringBuilder text, Aggregate agg, string field) => agg switch
    {
        Aggregate.Count => text.Append("sum(").Append(InfluxQl.QuoteIdentifier("count_" + field)).Append(')'),
        Aggregate.Min => text.Append("min(").Append(InfluxQl.QuoteIdentifier("min_" + field)).Append(')'),
        Aggregate.Max => text.Append("max(").Append(InfluxQl.QuoteIdentifier("max_" + field)).Append(')'),
        _ => text.Append(agg.Name()).Append('(').Append(InfluxQl.QuoteIdentifier("mean_" + field)).Append(')'),
    };

    private static StringBuilder AppendRollupExpression(StringBuilder text, Aggregate agg, int i) => agg switch
    {
        Aggregate.Mean => text.Append(CultureInfo.InvariantCulture, $"sum(\"p{i}\") / sum(\"c{i}\")"),
        Aggregate.Sum => text.Append(CultureInfo.InvariantCulture, $"sum(\"p{i}\")"),
        Aggregate.Count => text.Append(CultureInfo.InvariantCulture, $"sum(\"c{i}\")"),
        Aggregate.Min => text.Append(CultureInfo.InvariantCulture, $"min(\"n{i}\")"),
        Aggregate.Max => text.Append(CultureInfo.InvariantCulture, $"max(\"x{i}\")"),
        _ => text.Append(agg.Name()).Append(CultureInfo.InvariantCulture, $"(\"m{i}\")"),
    };

    private static StringBuilder AppendRollupColumns(StringBuilder text, Aggregate agg, string field, int i)
    {
        string Column(string prefix) => InfluxQl.QuoteIdentifier(prefix + "_" + field);
        return agg switch
        {
            Aggregate.Mean => text.Append(Column("mean")).Append(" * ").Append(Column("count")).Append(CultureInfo.InvariantCulture, $" AS \"p{i}\", ").Append(Column("count")).Append(CultureInfo.InvariantCulture, $" AS \"c{i}\""),
            Aggregate.Sum => text.Append(Column("mean")).Append(" * ").Append(Column("count")).Append(CultureInfo.InvariantCulture, $" AS \"p{i}\""),
            Aggregate.Count => text.Append(Column("count")).Append(CultureInfo.InvariantCulture, $" AS \"c{i}\""),
            Aggregate.Min => text.Append(Column("min")).Append(CultureInfo.InvariantCulture, $" AS \"n{i}\""),
            Aggregate.Max => text.Append(Column("max")).Append(CultureInfo.InvariantCulture, $" AS \"x{i}\""),
            _ => text.Append(Column("mean")).Append(CultureInfo.InvariantCulture, $" AS \"m{i}\""),
        };
    }

    private static void AppendList(StringBuilder text, IReadOnlyList<string> fields, Action<StringBuilder, string, int> append)
    {
        for (int i = 0; i < fields.Count; i++)
        {
            if (i > 0)
            {
                text.Append(", ");
            }

            append(text, fields[i], i);
        }
    }
}
