using System.Globalization;
using System.Text.Json;
using Datacake.Streams.Api.Access;
using Datacake.Streams.Api.InfluxApi.Language;
using Datacake.Streams.Api.Queries;
using Datacake.Streams.Api.Retention;
using Datacake.Streams.Influx.Querying;

namespace Datacake.Streams.Api.InfluxApi;

public sealed partial class InfluxQueryRunner
{
    private async Task<IReadOnlyList<InfluxAnswerSeries>> RetentionPoliciesAsync(ShowRetentionPoliciesStatement show, InfluxRequestContext request, CancellationToken cancellationToken)
    {
        RequireDatabase(show.Database, request);
        RetentionSettings retention = await catalog.CurrentAsync(cancellationToken);
        var rows = StorageTiers.All.Select(tier =>
        {
            TimeSpan duration = retention.Duration(tier);
            return new[] { Json(tier.Name()), Json(GoDuration(duration)), Json(GoDuration(ShardGroup(duration))), JsonSerializer.SerializeToElement(1), JsonSerializer.SerializeToElement(tier == StorageTier.Raw) };
        }).ToList();
        return [new InfluxAnswerSeries(string.Empty, null, ["name", "duration", "shardGroupDuration", "replicaN", "default"], rows)];
    }

    private IReadOnlyList<InfluxAnswerSeries> Measurements(ShowMeasurementsStatement show, InfluxRequestContext request)
    {
        RequireDatabase(show.Database, request);
        bool any = Scoped(show.Where, request).Count > 0 && (show.Measurement?.Matches(VirtualSchema.Measurement) ?? true);
        List<JsonElement[]> rows = Page(any ? [[Json(VirtualSchema.Measurement)]] : [], show.Limit, show.Offset);
        return rows.Count == 0 ? [] : [new InfluxAnswerSeries("measurements", null, ["name"], rows)];
    }

    private IReadOnlyList<InfluxAnswerSeries> TagKeys(ShowTagKeysStatement show, InfluxRequestContext request)
    {
        RequireDatabase(show.Database, request);
        if (!VirtualSchema.Selects(show.Sources) || Scoped(show.Where, request).Count == 0)
        {
            return [];
        }

        List<JsonElement[]> rows = Page(VirtualSchema.Tags.Select(t => new[] { Json(t) }).ToList(), show.Limit, show.Offset);
        return rows.Count == 0 ? [] : [new InfluxAnswerSeries(VirtualSchema.Measurement, null, ["tagKey"], rows)];
    }

    private IReadOnlyList<InfluxAnswerSeries> TagValues(ShowTagValuesStatement show, InfluxRequestContext request)
    {
        RequireDatabase(show.Database, request);
        if (!VirtualSchema.Selects(show.Sources))
        {
            return [];
        }

        List<ReadableDevice> devices = Scoped(show.Where, request);
        var pairs = new SortedSet<(string Key, string Value)>(Comparer<(string Key, string Value)>.Create((a, b) =>
        {
            int byKey = string.CompareOrdinal(a.Key, b.Key);
            return byKey != 0 ? byKey : string.CompareOrdinal(a.Value, b.Value);
        }));
        foreach (string key in VirtualSchema.Tags.Where(show.Key.Matches))
        {
            foreach (ReadableDevice device in devices)
            {
                pairs.Add((key, VirtualSchema.TagValue(device, key)));
            }
        }

        List<JsonElement[]> rows = Page(pairs.Select(p => new[] { Json(p.Key), Json(p.Value) }).ToList(), show.Limit, show.Offset);
        return rows.Count == 0 ? [] : [new InfluxAnswerSeries(VirtualSchema.Measurement, null, ["key", "value"], rows)];
    }

    private async Task<IReadOnlyList<InfluxAnswerSeries>> FieldKeysAsync(ShowFieldKeysStatement show, InfluxRequestContext request, CancellationToken cancellationToken)
    {
        RequireDatabase(show.Database, request);
        if (!VirtualSchema.Selects(show.Sources) || request.Devices.Count == 0)
        {
            return [];
        }

        IReadOnlyList<(string Key, string Type)> types = await reader.FieldTypesAsync([.. request.Devices], cancellationToken);
        List<JsonElement[]> rows = Page(types.Select(t => new[] { Json(t.Key), Json(t.Type) }).ToList(), show.Limit, show.Offset);
        return rows.Count == 0 ? [] : [new InfluxAnswerSeries(VirtualSchema.Measurement, null, ["fieldKey", "fieldType"], rows)];
    }

    /// <summary>The caller's devices a SHOW's WHERE admits (tag conditions only: SHOW has no time or fields here).</summary>
    private static List<ReadableDevice> Scoped(InfluxExpr? where, InfluxRequestContext request)
    {
        WhereClause clause = WhereClause.Split(where, 0);
        if (clause.FieldConditions.Count > 0 || clause.From is not null || clause.To is not null)
        {
            throw new InfluxStatementException("SHOW … WHERE takes tag conditions only (device, device_id, workspace_id)");
        }

        return request.Devices.Where(clause.Admits).ToList();
    }

    private static List<JsonElement[]> Page(List<JsonElement[]> rows, int limit, int offset)
    {
        IEnumerable<JsonElement[]> page = rows.Skip(offset);
        return (limit > 0 ? page.Take(limit) : page).ToList();
    }

    private static JsonElement Json(string text) => JsonSerializer.SerializeToElement(text);

    /// <summary>Go's time.Duration text, as InfluxDB prints durations: <c>720h0m0s</c>.</summary>
    private static string GoDuration(TimeSpan duration) =>
        string.Create(CultureInfo.InvariantCulture, $"{(long)duration.TotalHours}h{duration.Minutes}m{duration.Seconds}s");

    /// <summary>InfluxDB's default shard group duration for a retention: under 2 days 1h, up to 6 months 1d, else 7d.</summary>
    private static TimeSpan ShardGroup(TimeSpan retention) =>
        retention < TimeSpan.FromDays(2) ? TimeSpan.FromHours(1) : retention <= TimeSpan.FromDays(180) ? TimeSpan.FromDays(1) : TimeSpan.FromDays(7);
}
