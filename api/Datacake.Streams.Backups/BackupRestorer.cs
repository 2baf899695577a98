using Datacake.Streams.Ids;
using Datacake.Streams.Influx.Client;
using Datacake.Streams.Influx.Querying;

namespace Datacake.Streams.Backups;

/// <summary>The outcome of restoring a backup into a new database.</summary>
public sealed record RestoreResult(
    string BackupId,
    string Database,
    IReadOnlyList<string> Chain,
    IReadOnlyDictionary<string, IReadOnlyDictionary<string, IReadOnlyDictionary<string, long>>> Counts,
    IReadOnlyList<string> Problems,
    bool Swapped)
{
    public bool Verified => Problems.Count == 0;
}

/// <summary>The outcome of bringing one device's points back into the live database.</summary>
public sealed record DeviceRestoreResult(string BackupId, string DeviceId, IReadOnlyDictionary<string, long> PointsWritten);

/// <summary>
/// Restores: a chain into a new database (verified against the manifest's counts); optionally copied back into the
/// live database (the "swap"); and one device's points back into the live database. Never writes into the live
/// database unless the request said <c>confirm</c> (swap) or named the device (device restore adds only its points).
/// </summary>
/// <remarks>
/// Swap = copy back with <c>SELECT * INTO live.rp.:MEASUREMENT FROM restored.rp./.*/ GROUP BY *</c>, not repointing
/// the configured database: every node (ingest, processors, api) would need the new name at once, and points written
/// since the backup would be left behind in the old database. Copy back keeps them; a point in both takes the
/// backup's values.
/// </remarks>
public sealed class BackupRestorer(BackupService backups, TimeProvider time)
{
    public Task<RestoreResult> RestoreAsync(string id, bool swap, bool confirm, CancellationToken cancellationToken)
    {
        if (swap && !confirm)
        {
            throw new BackupException(BackupFailure.ConfirmationRequired, "a swap writes the backup's points into the live database: send \"confirm\": true");
        }

        return backups.ExclusiveAsync(
            async () =>
            {
                var newDatabase = $"{backups.Database}_restore_{time.GetUtcNow():yyyyMMddHHmmssfff}";
                var result = await RestoreIntoAsync(backups.Primary, id, backups.Tool, backups.Influx, newDatabase, cancellationToken);
                if (!swap || !result.Verified)
                {
                    return result;
                }

                foreach (var policy in result.Counts.Keys)
                {
                    await CopyAsync(backups.Influx, newDatabase, backups.Database, policy, null, cancellationToken);
                }

                await DropAsync(backups.Influx, newDatabase, cancellationToken);
                return result with { Swapped = true };
            },
            cancellationToken);
    }

    public Task<DeviceRestoreResult> RestoreDeviceAsync(string id, DeviceId device, CancellationToken cancellationToken) =>
        backups.ExclusiveAsync(
            async () =>
            {
                var temp = $"{backups.Database}_device_{time.GetUtcNow():yyyyMMddHHmmssfff}";
                try
                {
                    var restored = await RestoreIntoAsync(backups.Primary, id, backups.Tool, backups.Influx, temp, cancellationToken);
                    var written = new SortedDictionary<string, long>(StringComparer.Ordinal);
                    foreach (var policy in restored.Counts.Keys)
                    {
                        written[policy] = await CopyAsync(backups.Influx, temp, backups.Database, policy, device.ToString(), cancellationToken);
                    }

                    return new DeviceRestoreResult(id, device.ToString(), written);
                }
                finally
                {
                    await DropAsync(backups.Influx, temp, CancellationToken.None);
                }
            },
            cancellationToken);

    /// <summary>
    /// Checks every backup of the chain against its checksums, builds the merged restore set, runs
    /// <c>influxd restore</c> into <paramref name="newDatabase"/> and compares its counts with the manifest's.
    /// Used by the API (live influxd) and the failover drill (a fresh influxd from the second site).
    /// </summary>
    public static async Task<RestoreResult> RestoreIntoAsync(
        BackupCatalog site, string id, InfluxdTool tool, InfluxClient influx, string newDatabase, CancellationToken cancellationToken)
    {
        var chain = BackupService.ChainOf(site, id);
        foreach (var member in chain)
        {
            var problems = await BackupChecksums.CompareAsync(site.FolderOf(member.Id), member.Files, cancellationToken);
            if (problems.Count > 0)
            {
                throw new BackupException(BackupFailure.ChecksumMismatch, $"backup {member.Id} in {site.Root} is damaged: {string.Join("; ", problems)}");
            }
        }

        var target = chain[^1];
        var work = Path.Combine(Path.GetTempPath(), $"dcs-restore-{Guid.NewGuid():N}");
        try
        {
            await RestoreSet.BuildAsync(site, chain, work, cancellationToken);
            await tool.RestoreAsync(target.Database, newDatabase, work, cancellationToken);
        }
        finally
        {
            if (Directory.Exists(work))
            {
                Directory.Delete(work, recursive: true);
            }
        }

        // influxd opens restored shards after the restore tool returns: under load (parallel restores here) a count
        // right away answered 0 of 82,500 points. Counted again until they match or 30 s pass.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var counts = new SortedDictionary<string, IReadOnlyDictionary<string, IReadOnlyDictionary<string, long>>>(StringComparer.Ordinal);
            foreach (var policy in target.RetentionPolicies)
            {
                counts[policy] = await InfluxCounts.CountAsync(influx, newDatabase, policy, target.End, cancellationToken);
            }

            var problems = InfluxCounts.Compare(target.Counts, counts);
            if (problems.Count == 0 || DateTime.UtcNow >= deadline)
            {
                return new RestoreResult(id, newDatabase, [.. chain.Select(c => c.Id)], counts, problems, Swapped: false);
            }

            await Task.Delay(100, cancellationToken);
        }
    }

    private static async Task<long> CopyAsync(InfluxClient influx, string from, string to, string policy, string? device, CancellationToken cancellationToken)
    {
        var rp = InfluxQl.QuoteIdentifier(policy);
        var where = device is null ? "" : $" WHERE device = {InfluxQl.QuoteString(device)}";
        var text = $"SELECT * INTO {InfluxQl.QuoteIdentifier(to)}.{rp}.:MEASUREMENT FROM {InfluxQl.QuoteIdentifier(from)}.{rp}./.*/{where} GROUP BY *";
        var result = await InfluxCounts.QueryAsync(influx, text, from, cancellationToken);
        long written = 0;
        foreach (var series in result.Statements[0].Series)
        {
            for (var row = 0; row < series.Values.Count; row++)
            {
                written += series.GetInt64(row, "written");
            }
        }

        return written;
    }

    private static Task DropAsync(InfluxClient influx, string database, CancellationToken cancellationToken) =>
        influx.ExecuteAsync($"DROP DATABASE {InfluxQl.QuoteIdentifier(database)}", database, cancellationToken);
}
