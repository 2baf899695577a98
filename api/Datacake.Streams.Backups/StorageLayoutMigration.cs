using System.Globalization;
using System.Text;
using Datacake.Streams.Ids;
using Datacake.Streams.Influx.Client;
using Datacake.Streams.Influx.Querying;
using Datacake.Streams.Storage;

namespace Datacake.Streams.Backups;

/// <summary>What a layout migration did.</summary>
/// <param name="Devices">Devices found in the legacy measurements.</param>
/// <param name="Points">Points copied into the device measurements (InfluxDB's <c>written</c> counts).</param>
/// <param name="Shortfalls">Device, policy and field whose new count is below the legacy count: the legacy data is then kept.</param>
/// <param name="LegacyDropped">Every count matched and the legacy measurements were dropped.</param>
public sealed record LayoutMigrationResult(int Devices, long Points, IReadOnlyList<string> Shortfalls, bool LegacyDropped)
{
    public static readonly LayoutMigrationResult NothingToDo = new(0, 0, [], LegacyDropped: false);
}

/// <summary>
/// Moves a database from the layout before (every device in measurement <c>values</c>, metadata in <c>meta</c>) to one
/// measurement per device (<see cref="StorageLayout"/>), in every retention policy: per device
/// <c>SELECT * INTO db.rp."dev_…" FROM db.rp."values" WHERE device = '…' GROUP BY *</c> (tags stay tags; the same
/// times and tags overwrite, so a run cut short is simply run again), then per policy, device and field the new count
/// must be at least the old one (new points may have arrived meanwhile) before the legacy measurements are dropped.
/// Runs at start-up of the api role after the tiers are provisioned, and in <c>dcs import</c> for exports made before.
/// </summary>
public sealed class StorageLayoutMigration(InfluxClient influx)
{
    private static readonly string[] s_legacy = [StorageLayout.LegacyValuesMeasurement, StorageLayout.LegacyMetaMeasurement];

    // 40 devices × 2 measurements per request: one HTTP round trip per ~80 statements rather than per statement.
    private const int DevicesPerRequest = 40;

    public string Database => influx.Options.Database;

    /// <summary>Whether the database still holds a legacy measurement.</summary>
    public async Task<bool> IsNeededAsync(CancellationToken cancellationToken) =>
        (await LegacyMeasurementsAsync(cancellationToken).ConfigureAwait(false)).Count > 0;

    public async Task<LayoutMigrationResult> RunAsync(CancellationToken cancellationToken)
    {
        List<string> legacy = await LegacyMeasurementsAsync(cancellationToken).ConfigureAwait(false);
        if (legacy.Count == 0)
        {
            return LayoutMigrationResult.NothingToDo;
        }

        List<string> policies = await PoliciesAsync(cancellationToken).ConfigureAwait(false);
        List<string> devices = await LegacyDevicesAsync(legacy, cancellationToken).ConfigureAwait(false);
        string db = InfluxQl.QuoteIdentifier(Database);
        long points = 0;
        foreach (string[] batch in devices.Chunk(DevicesPerRequest))
        {
            foreach (string policy in policies)
            {
                var text = new StringBuilder();
                foreach (string device in batch)
                {
                    foreach (string measurement in legacy)
                    {
                        text.Append("SELECT * INTO ").Append(db).Append('.').Append(InfluxQl.QuoteIdentifier(policy)).Append('.').Append(InfluxQl.QuoteIdentifier(device))
                            .Append(" FROM ").Append(db).Append('.').Append(InfluxQl.QuoteIdentifier(policy)).Append('.').Append(InfluxQl.QuoteIdentifier(measurement))
                            .Append(" WHERE ").Append(InfluxQl.QuoteIdentifier(StorageLayout.DeviceTag)).Append(" = ").Append(InfluxQl.QuoteString(device))
                            .Append(" GROUP BY *;\n");
                    }
                }

                InfluxQueryResult result = await influx.QueryAsync(text.ToString(), Database, cancellationToken).ConfigureAwait(false);
                foreach (InfluxStatementResult statement in result.Statements)
                {
                    foreach (InfluxSeries series in statement.Series)
                    {
                        if (series.Values.Count > 0 && series.ColumnIndex("written") >= 0)
                        {
                            points += series.GetInt64(0, "written");
                        }
                    }
                }
            }
        }

        var shortfalls = new List<string>();
        foreach (string policy in policies)
        {
            // The device measurements of a policy are counted once, against both legacy measurements' counts.
            Dictionary<(string Device, string Field), long>? after = null;
            foreach (string measurement in legacy)
            {
                Dictionary<(string Device, string Field), long> before = await CountsAsync(policy, InfluxQl.QuoteIdentifier(measurement), cancellationToken).ConfigureAwait(false);
                if (before.Count == 0)
                {
                    continue;
                }

                after ??= await CountsAsync(policy, StorageLayout.AllDevicesPattern, cancellationToken).ConfigureAwait(false);
                foreach (((string device, string field), long count) in before)
                {
                    long moved = after.GetValueOrDefault((device, field));
                    if (moved < count)
                    {
                        shortfalls.Add(string.Create(CultureInfo.InvariantCulture, $"{policy}.{measurement} {device} {field}: {count} before, {moved} after"));
                    }
                }
            }
        }

        if (shortfalls.Count == 0)
        {
            foreach (string measurement in legacy)
            {
                // DROP MEASUREMENT drops it from every retention policy of the database.
                await influx.ExecuteAsync($"DROP MEASUREMENT {InfluxQl.QuoteIdentifier(measurement)}", Database, cancellationToken).ConfigureAwait(false);
            }
        }

        return new LayoutMigrationResult(devices.Count, points, shortfalls, LegacyDropped: shortfalls.Count == 0);
    }

    private async Task<List<string>> LegacyMeasurementsAsync(CancellationToken cancellationToken)
    {
        InfluxQueryResult result = await influx.QueryAsync($"SHOW MEASUREMENTS ON {InfluxQl.QuoteIdentifier(Database)}", Database, cancellationToken).ConfigureAwait(false);
        var found = new List<string>();
        foreach (InfluxSeries series in result.Statements[0].Series)
        {
            for (int row = 0; row < series.Values.Count; row++)
            {
                if (series.GetString(row, "name") is { } name && s_legacy.Contains(name, StringComparer.Ordinal))
                {
                    found.Add(name);
                }
            }
        }

        return found;
    }

    private async Task<List<string>> PoliciesAsync(CancellationToken cancellationToken)
    {
        InfluxQueryResult result = await influx.QueryAsync($"SHOW RETENTION POLICIES ON {InfluxQl.QuoteIdentifier(Database)}", Database, cancellationToken).ConfigureAwait(false);
        var policies = new List<string>();
        foreach (InfluxSeries series in result.Statements[0].Series)
        {
            for (int row = 0; row < series.Values.Count; row++)
            {
                if (series.GetString(row, "name") is { } name)
                {
                    policies.Add(name);
                }
            }
        }

        return policies;
    }

    /// <summary>The device ids of the legacy measurements; a tag value that is not a device id is left where it is.</summary>
    private async Task<List<string>> LegacyDevicesAsync(List<string> legacy, CancellationToken cancellationToken)
    {
        string from = string.Join(", ", legacy.Select(InfluxQl.QuoteIdentifier));
        InfluxQueryResult result = await influx.QueryAsync(
            $"SHOW TAG VALUES ON {InfluxQl.QuoteIdentifier(Database)} FROM {from} WITH KEY = {InfluxQl.QuoteIdentifier(StorageLayout.DeviceTag)}", Database, cancellationToken).ConfigureAwait(false);
        var devices = new SortedSet<string>(StringComparer.Ordinal);
        foreach (InfluxSeries series in result.Statements[0].Series)
        {
            for (int row = 0; row < series.Values.Count; row++)
            {
                if (series.GetString(row, "value") is { } value && DeviceId.TryParse(value, out _))
                {
                    devices.Add(value);
                }
            }
        }

        return [.. devices];
    }

    /// <summary>Points per device and field in <paramref name="policy"/> of <paramref name="from"/> (a quoted name or a regex).</summary>
    private async Task<Dictionary<(string Device, string Field), long>> CountsAsync(string policy, string from, CancellationToken cancellationToken)
    {
        InfluxQueryResult result = await influx.QueryAsync(
            $"SELECT count(*) FROM {InfluxQl.QuoteIdentifier(Database)}.{InfluxQl.QuoteIdentifier(policy)}.{from} GROUP BY {InfluxQl.QuoteIdentifier(StorageLayout.DeviceTag)}",
            Database,
            cancellationToken).ConfigureAwait(false);
        var counts = new Dictionary<(string, string), long>();
        foreach (InfluxSeries series in result.Statements[0].Series)
        {
            if (!series.Tags.TryGetValue(StorageLayout.DeviceTag, out string? device) || series.Values.Count == 0)
            {
                continue;
            }

            foreach (string column in series.Columns)
            {
                if (column.StartsWith("count_", StringComparison.Ordinal) && !series.IsNull(0, column))
                {
                    string field = column["count_".Length..];
                    counts[(device, field)] = counts.GetValueOrDefault((device, field)) + series.GetInt64(0, column);
                }
            }
        }

        return counts;
    }
}
