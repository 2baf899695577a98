using System.Globalization;
using Datacake.Streams.Api.Access;
using Datacake.Streams.Influx.Querying;

namespace Datacake.Streams.Api.Queries;

/// <summary>A validated query over one or more readable devices.</summary>
/// <param name="Fields">Null: every field the devices have.</param>
/// <param name="Aggregate">Null with no <paramref name="Every"/>: raw points.</param>
public sealed record SeriesRequest(
    IReadOnlyList<ReadableDevice> Devices,
    IReadOnlyList<string>? Fields,
    DateTimeOffset From,
    DateTimeOffset To,
    TimeSpan? Every,
    Aggregate? Aggregate,
    FillMode Fill,
    bool GroupByDevice);

/// <summary>The parameters as they arrive (query string or JSON), before validation.</summary>
public sealed record SeriesParameters(
    IReadOnlyList<string>? Fields,
    string? From,
    string? To,
    string? Every,
    string? Agg,
    string? Fill,
    bool GroupByDevice = true)
{
    /// <summary>Checks every parameter and names each bad one; devices are checked by the caller (scope).</summary>
    public SeriesRequest? Validate(IReadOnlyList<ReadableDevice> devices, QueryLimits limits, DateTimeOffset now, Dictionary<string, string[]> errors)
    {
        List<string>? fields = null;
        if (Fields is { Count: > 0 })
        {
            fields = Fields.Distinct(StringComparer.Ordinal).ToList();
            string[] bad = fields.Where(f => !IsFieldName(f)).Take(3).ToArray();
            if (bad.Length > 0)
            {
                errors["fields"] = [$"field names are 1-64 characters of A-Z a-z 0-9 _ . - (docs/DATA-MODEL.md); refused: {string.Join(", ", bad.Select(b => b.Length > 70 ? b[..70] + "…" : b))}"];
            }
            else if (fields.Count > limits.MaxFields)
            {
                errors["fields"] = [$"at most {limits.MaxFields} fields per query"];
            }
        }

        DateTimeOffset to = now;
        if (To is not null && !QueryTime.TryParse(To, out to))
        {
            errors["to"] = ["an RFC 3339 time with offset (2026-11-28T10:00:00Z) or epoch milliseconds"];
        }

        DateTimeOffset from = to - limits.DefaultRange;
        if (From is not null && !QueryTime.TryParse(From, out from))
        {
            errors["from"] = ["an RFC 3339 time with offset (2026-11-28T10:00:00Z) or epoch milliseconds"];
        }

        if (!errors.ContainsKey("from") && !errors.ContainsKey("to"))
        {
            if (from >= to)
            {
                errors["from"] = ["must be before to"];
            }
            else if (to - from > limits.MaxRange)
            {
                errors["to"] = [$"a range may span at most {InfluxDuration.Format(limits.MaxRange)}"];
            }
        }

        TimeSpan? every = null;
        if (Every is not null)
        {
            if (!InfluxDuration.TryParse(Every, out TimeSpan parsed) || parsed < TimeSpan.FromSeconds(1) || parsed.Ticks % TimeSpan.TicksPerSecond != 0 || parsed > TimeSpan.FromDays(366))
            {
                errors["every"] = ["a window of whole seconds between 1s and 366d, e.g. 10s, 1m, 1h, 1d"];
            }
            else
            {
                every = parsed;
            }
        }

        Aggregate? aggregate = null;
        if (Agg is not null)
        {
            if (QueryVocabulary.TryParseAggregate(Agg, out Aggregate parsed))
            {
                aggregate = parsed;
            }
            else
            {
                errors["agg"] = ["one of mean, min, max, sum, count, first, last, median"];
            }
        }
        else if (every is not null)
        {
            aggregate = Queries.Aggregate.Mean;
        }

        FillMode fill = FillMode.None;
        if (Fill is not null)
        {
            if (!QueryVocabulary.TryParseFill(Fill, out fill))
            {
                errors["fill"] = ["one of none, null, previous, linear"];
            }
            else if (every is null)
            {
                errors["fill"] = ["fill needs every: it fills empty windows"];
            }
        }

        if (aggregate is null && !GroupByDevice)
        {
            errors["groupByDevice"] = ["raw points are per device: give agg (and every) to combine devices"];
        }
        else if (aggregate is { } combined && !GroupByDevice && devices.Count > 1 && !SeriesStatement.CombinesAcrossDevices(combined))
        {
            errors["agg"] = ["devices combine exactly with mean, sum, count, min or max; ask first, last or median per device (groupByDevice: true)"];
        }

        if (every is { } step && !errors.ContainsKey("from") && !errors.ContainsKey("to"))
        {
            long windows = (long)Math.Ceiling((to - from) / step);
            if (windows > limits.MaxPointsPerSeries)
            {
                errors["every"] = [string.Create(CultureInfo.InvariantCulture, $"{windows} windows exceed the limit of {limits.MaxPointsPerSeries} points per series; use every={SeriesReader.Hint(to - from, limits.MaxPointsPerSeries)} or a shorter range")];
            }
        }

        return errors.Count > 0 ? null : new SeriesRequest(devices, fields, from, to, every, aggregate, fill, GroupByDevice);
    }

    /// <summary>docs/DATA-MODEL.md: 1-64 characters of [A-Za-z0-9_.-].</summary>
    public static bool IsFieldName(string? name) =>
        name is { Length: >= 1 and <= 64 } && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-');
}
