using System.Globalization;
using Datacake.Streams.Influx.Client;
using Datacake.Streams.Influx.Querying;
using Datacake.Streams.Storage;

namespace Datacake.Streams.Backups;

/// <summary>
/// Counts per retention policy, kind and field, with a <c>time &lt;= end</c> bound; and the policies of a database.
/// The device measurements of a policy count together under their kind (<see cref="StorageLayout.KindIn"/>), so a
/// manifest has one entry per field however many devices there are; any other measurement counts under its name.
/// </summary>
public static class InfluxCounts
{
    /// <summary>Policies in backup order: measurements (raw, m1, h1) first, then network metadata (meta), then any other.</summary>
    public static readonly string[] PriorityOrder = ["raw", "m1", "h1", "meta"];

    public static async Task<IReadOnlyList<string>> PoliciesAsync(InfluxClient influx, string database, CancellationToken cancellationToken)
    {
        var result = await QueryAsync(influx, $"SHOW RETENTION POLICIES ON {InfluxQl.QuoteIdentifier(database)}", database, cancellationToken);
        var names = new List<string>();
        foreach (var series in result.Statements[0].Series)
        {
            for (var row = 0; row < series.Values.Count; row++)
            {
                names.Add(series.GetString(row, "name")!);
            }
        }

        return [.. names.OrderBy(n => Array.IndexOf(PriorityOrder, n) is var i && i >= 0 ? i : PriorityOrder.Length).ThenBy(n => n, StringComparer.Ordinal)];
    }

    public static async Task<IReadOnlyDictionary<string, IReadOnlyDictionary<string, long>>> CountAsync(
        InfluxClient influx, string database, string retentionPolicy, DateTimeOffset end, CancellationToken cancellationToken)
    {
        var endNs = (end.ToUnixTimeMilliseconds() * 1_000_000L).ToString(CultureInfo.InvariantCulture);
        var text = $"SELECT count(*) FROM {InfluxQl.QuoteIdentifier(database)}.{InfluxQl.QuoteIdentifier(retentionPolicy)}./.*/ WHERE time <= {endNs}";
        var result = await QueryAsync(influx, text, database, cancellationToken);
        var counts = new SortedDictionary<string, SortedDictionary<string, long>>(StringComparer.Ordinal);
        foreach (var series in result.Statements[0].Series)
        {
            var kind = StorageLayout.IsDeviceMeasurement(series.Name) ? StorageLayout.KindIn(retentionPolicy) : series.Name;
            if (!counts.TryGetValue(kind, out var fields))
            {
                counts[kind] = fields = new SortedDictionary<string, long>(StringComparer.Ordinal);
            }

            for (var column = 0; column < series.Columns.Count; column++)
            {
                var name = series.Columns[column];
                if (name.StartsWith("count_", StringComparison.Ordinal) && !series.IsNull(0, name))
                {
                    var field = name["count_".Length..];
                    fields[field] = fields.GetValueOrDefault(field) + series.GetInt64(0, name);
                }
            }
        }

        return counts.ToDictionary(c => c.Key, c => (IReadOnlyDictionary<string, long>)c.Value, StringComparer.Ordinal);
    }

    /// <summary>
    /// Queries a database that may have just been restored: right after <c>influxd restore</c> its shards answer
    /// "shard is disabled" for a moment (seen here for &lt;1 s); that is retried for up to 30 s.
    /// </summary>
    public static async Task<InfluxQueryResult> QueryAsync(InfluxClient influx, string text, string database, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            try
            {
                return await influx.QueryAsync(text, database, cancellationToken);
            }
            catch (InfluxException ex) when (IsReopening(ex) && DateTime.UtcNow < deadline)
            {
                await Task.Delay(50, cancellationToken);
            }
            catch (InfluxException ex)
            {
                throw new BackupException(BackupFailure.Influx, $"InfluxDB: {ex.Message}", ex);
            }
        }
    }

    private static bool IsReopening(InfluxException ex) =>
        ex.Message.Contains("shard is disabled", StringComparison.Ordinal) || ex.Message.Contains("engine is closed", StringComparison.Ordinal);

    /// <summary>Differences between expected and actual counts, one line each; empty when equal.</summary>
    public static IReadOnlyList<string> Compare(
        IReadOnlyDictionary<string, IReadOnlyDictionary<string, IReadOnlyDictionary<string, long>>> expected,
        IReadOnlyDictionary<string, IReadOnlyDictionary<string, IReadOnlyDictionary<string, long>>> actual)
    {
        var problems = new List<string>();
        foreach (var policy in expected.Keys.Union(actual.Keys).Order(StringComparer.Ordinal))
        {
            var e = expected.GetValueOrDefault(policy) ?? new Dictionary<string, IReadOnlyDictionary<string, long>>();
            var a = actual.GetValueOrDefault(policy) ?? new Dictionary<string, IReadOnlyDictionary<string, long>>();
            foreach (var measurement in e.Keys.Union(a.Keys).Order(StringComparer.Ordinal))
            {
                var ef = e.GetValueOrDefault(measurement) ?? new Dictionary<string, long>();
                var af = a.GetValueOrDefault(measurement) ?? new Dictionary<string, long>();
                foreach (var field in ef.Keys.Union(af.Keys).Order(StringComparer.Ordinal))
                {
                    var x = ef.GetValueOrDefault(field);
                    var y = af.GetValueOrDefault(field);
                    if (x != y)
                    {
                        problems.Add($"{policy}.{measurement}.{field}: expected {x}, found {y}");
                    }
                }
            }
        }

        return problems;
    }
}
