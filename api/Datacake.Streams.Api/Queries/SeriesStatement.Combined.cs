using System.Globalization;
using System.Text;
using Datacake.Streams.Api.Retention;
using Datacake.Streams.Influx.Querying;

namespace Datacake.Streams.Api.Queries;

public static partial class SeriesStatement
{
    /// <summary>
    /// Aggregates that combine across devices exactly from per-device parts: InfluxDB never merges two measurements
    /// into one series (a query over several answers one series each, subqueries included: checked on 1.6.7), and
    /// every device is its own measurement, so devices are combined in <see cref="CombinedSeries"/>.
    /// first, last and median have no exact combination from per-device windows.
    /// </summary>
    public static bool CombinesAcrossDevices(Aggregate aggregate) =>
        aggregate is Aggregate.Mean or Aggregate.Sum or Aggregate.Count or Aggregate.Min or Aggregate.Max;

    /// <summary>
    /// The per-device parts of a combined aggregate, per window: <c>s{i}</c> sum, <c>c{i}</c> count, <c>n{i}</c>
    /// min, <c>x{i}</c> max of field i, as the aggregate needs them; empty windows left out (<c>fill(none)</c>:
    /// <see cref="CombinedSeries"/> fills after combining).
    /// </summary>
    public static string BuildParts(string database, TierSegment segment, IReadOnlyList<string> deviceIds, IReadOnlyList<string> fields, Aggregate aggregate)
    {
        if (!CombinesAcrossDevices(aggregate))
        {
            throw new ArgumentOutOfRangeException(nameof(aggregate), aggregate, "no exact combination across devices");
        }

        string source = From(database, segment.Tier.Name(), deviceIds);
        string where = TimeRange(segment.From, segment.To);
        string device = InfluxQl.QuoteIdentifier("device");
        var text = new StringBuilder(256).Append("SELECT ");
        if (segment.Tier == StorageTier.Raw)
        {
            AppendList(text, fields, (b, f, i) => AppendRawParts(b, aggregate, InfluxQl.QuoteIdentifier(f), i));
            text.Append(" FROM ").Append(source).Append(" WHERE ").Append(where);
        }
        else
        {
            AppendList(text, fields, (b, f, i) => AppendOuterParts(b, aggregate, i));
            text.Append(" FROM (SELECT ");
            AppendList(text, fields, (b, f, i) => AppendRollupColumns(b, aggregate, f, i));
            text.Append(" FROM ").Append(source).Append(" WHERE ").Append(where).Append(" GROUP BY ").Append(device)
                .Append(") WHERE ").Append(TimeRange(segment.From, segment.To));
        }

        text.Append(" GROUP BY ");
        if (segment.Every is { } every)
        {
            text.Append("time(").Append(InfluxDuration.Format(every)).Append("), ");
        }

        text.Append(device);
        if (segment.Every is not null)
        {
            text.Append(" fill(none)");
        }

        return text.ToString();
    }

    private static StringBuilder AppendRawParts(StringBuilder text, Aggregate agg, string field, int i) => agg switch
    {
        Aggregate.Mean => text.Append(CultureInfo.InvariantCulture, $"sum({field}) AS \"s{i}\", count({field}) AS \"c{i}\""),
        Aggregate.Sum => text.Append(CultureInfo.InvariantCulture, $"sum({field}) AS \"s{i}\""),
        Aggregate.Count => text.Append(CultureInfo.InvariantCulture, $"count({field}) AS \"c{i}\""),
        Aggregate.Min => text.Append(CultureInfo.InvariantCulture, $"min({field}) AS \"n{i}\""),
        _ => text.Append(CultureInfo.InvariantCulture, $"max({field}) AS \"x{i}\""),
    };

    // Over the inner columns of AppendRollupColumns: p = mean·count, c = count, n = min, x = max.
    private static StringBuilder AppendOuterParts(StringBuilder text, Aggregate agg, int i) => agg switch
    {
        Aggregate.Mean => text.Append(CultureInfo.InvariantCulture, $"sum(\"p{i}\") AS \"s{i}\", sum(\"c{i}\") AS \"c{i}\""),
        Aggregate.Sum => text.Append(CultureInfo.InvariantCulture, $"sum(\"p{i}\") AS \"s{i}\""),
        Aggregate.Count => text.Append(CultureInfo.InvariantCulture, $"sum(\"c{i}\") AS \"c{i}\""),
        Aggregate.Min => text.Append(CultureInfo.InvariantCulture, $"min(\"n{i}\") AS \"n{i}\""),
        _ => text.Append(CultureInfo.InvariantCulture, $"max(\"x{i}\") AS \"x{i}\""),
    };
}
