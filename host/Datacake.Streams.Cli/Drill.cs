using Datacake.Streams.Storage;
using Datacake.Streams.Files;
using System.Diagnostics;
using System.Globalization;
using Datacake.Streams.Backups;
using Datacake.Streams.Influx.Client;
using Datacake.Streams.Influx.Querying;

namespace Datacake.Streams.Cli;

/// <summary>What the drill's restore step needs: the second site, the standby influxd, and where the metadata store goes.</summary>
public sealed record DrillRequest(string Secondary, Uri InfluxUrl, string BackupHost)
{
    public string Influxd { get; init; } = "influxd";

    public string? User { get; init; }

    public string? Password { get; init; }

    /// <summary>When set, the newest metadata store snapshot of the site is checked and copied here (the standby host's <c>metadata.db</c>).</summary>
    public string? MetadataTo { get; init; }
}

/// <summary>
/// The failover drill's restore step: from the second site's backups alone, the newest backup whose chain is complete
/// and intact is restored into the (fresh) influxd at the request's URL under the original database name, and its counts
/// are compared with the manifest. Prints <c>key=value</c> lines that ops/failover-drill.sh reads.
/// </summary>
public static class Drill
{
    public static async Task<int> RunAsync(DrillRequest request, TextWriter output, CancellationToken cancellationToken)
    {
        var site = new BackupCatalog(Path.GetFullPath(request.Secondary));
        var listed = site.List();
        if (listed.Count == 0)
        {
            await output.WriteLineAsync($"error=no backups in {site.Root}");
            return ExitCodes.NotFound;
        }

        var target = listed[^1].Manifest;
        using var influx = new InfluxClient(new InfluxOptions
        {
            Url = request.InfluxUrl,
            Database = target.Database,
            User = request.User,
            Password = request.Password,
            MaxRetries = 2,
        });
        var tool = new InfluxdTool(request.Influxd, request.BackupHost, TimeSpan.FromHours(6));
        var clock = Stopwatch.StartNew();
        try
        {
            if (request.MetadataTo is { } metadataTo)
            {
                var metadata = await RestoreMetadataAsync(site, listed, metadataTo, cancellationToken);
                await output.WriteLineAsync($"metadata_backup={metadata}");
            }

            var result = await BackupRestorer.RestoreIntoAsync(site, target.Id, tool, influx, target.Database, cancellationToken);
            await output.WriteLineAsync($"backup={target.Id}");
            await output.WriteLineAsync($"chain={string.Join(',', result.Chain)}");
            await output.WriteLineAsync($"database={result.Database}");
            await output.WriteLineAsync($"backup_end={target.End:O}");
            await output.WriteLineAsync($"backup_end_unix={Unix(target.End)}");
            await output.WriteLineAsync("checksums=ok");
            foreach (var (policy, measurements) in result.Counts)
            {
                foreach (var (measurement, fields) in measurements)
                {
                    await output.WriteLineAsync($"points.{policy}.{measurement}={BackupManifest.Points(fields)}");
                }
            }

            if (await NewestPointAsync(influx, result.Database, target.RetentionPolicies, cancellationToken) is { } newest)
            {
                await output.WriteLineAsync($"newest_point={newest:O}");
                await output.WriteLineAsync($"newest_point_unix={Unix(newest)}");
            }

            await output.WriteLineAsync($"restore_seconds={clock.Elapsed.TotalSeconds.ToString("0.000", CultureInfo.InvariantCulture)}");
            await output.WriteLineAsync($"counts={(result.Verified ? "ok" : "mismatch")}");
            foreach (var problem in result.Problems)
            {
                await output.WriteLineAsync($"problem={problem}");
            }

            return result.Verified ? ExitCodes.Ok : ExitCodes.VerificationFailed;
        }
        catch (BackupException ex)
        {
            await output.WriteLineAsync($"error={ex.Message}");
            return ex.Failure switch
            {
                BackupFailure.ChecksumMismatch or BackupFailure.BrokenChain or BackupFailure.CountMismatch => ExitCodes.VerificationFailed,
                BackupFailure.NotFound => ExitCodes.NotFound,
                _ => ExitCodes.Server,
            };
        }
    }

    /// <summary>
    /// The newest backup holding the metadata store (taken daily, so often not the newest backup), its file checked
    /// against that manifest's checksum, copied to <paramref name="destination"/>; returns the backup's id.
    /// </summary>
    private static async Task<string> RestoreMetadataAsync(BackupCatalog site, IReadOnlyList<BackupEntry> listed, string destination, CancellationToken cancellationToken)
    {
        var path = $"metadata/{IMetadataSnapshot.FileName}";
        var source = listed.LastOrDefault(e => e.Manifest.MetadataStore)?.Manifest
            ?? throw new BackupException(BackupFailure.NotFound, $"no backup in {site.Root} holds the metadata store");
        var file = source.Files.Single(f => f.Path == path);
        var problems = await BackupChecksums.CompareAsync(site.FolderOf(source.Id), [file], cancellationToken);
        if (problems.Count > 0)
        {
            throw new BackupException(BackupFailure.ChecksumMismatch, $"backup {source.Id} in {site.Root} is damaged: {string.Join("; ", problems)}");
        }

        if (File.Exists(destination))
        {
            throw new BackupException(BackupFailure.Tool, $"{destination} exists: the drill restores the metadata store only into a new data folder");
        }

        PrivateFile.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(destination))!);
        PrivateFile.Copy(Path.Combine(site.FolderOf(source.Id), path), destination);
        return source.Id;
    }

    /// <summary>
    /// The newest point of any device measurement of the restored policies (the data-loss window ends there); the
    /// rollups' own bookkeeping (marks, watermarks: written at "now", not device data) does not count.
    /// </summary>
    private static async Task<DateTimeOffset?> NewestPointAsync(InfluxClient influx, string database, IReadOnlyList<string> policies, CancellationToken cancellationToken)
    {
        long? newest = null;
        foreach (var policy in policies)
        {
            var result = await InfluxCounts.QueryAsync(
                influx,
                $"SELECT * FROM {InfluxQl.QuoteIdentifier(database)}.{InfluxQl.QuoteIdentifier(policy)}.{StorageLayout.AllDevicesPattern} ORDER BY time DESC LIMIT 1",
                database,
                cancellationToken);
            foreach (var series in result.Statements[0].Series)
            {
                if (series.Values.Count > 0)
                {
                    var time = series.GetInt64(0, "time");
                    newest = newest is { } n && n >= time ? n : time;
                }
            }
        }

        return newest is { } ns ? DateTimeOffset.UnixEpoch.AddTicks(ns / 100) : null;
    }

    private static string Unix(DateTimeOffset time) =>
        ((time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / (decimal)TimeSpan.TicksPerSecond).ToString("0.0000000", CultureInfo.InvariantCulture);
}
