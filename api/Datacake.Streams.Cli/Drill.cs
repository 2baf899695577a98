using System.Diagnostics;
using Datacake.Streams.Api.Backups;
using Datacake.Streams.Influx.Client;

namespace Datacake.Streams.Cli;

/// <summary>
/// The failover drill's restore step: from the second site's backups alone, the newest backup whose chain is complete
/// and intact is restored into the (fresh) influxd at <c>influxUrl</c> under the original database name, and its counts
/// are compared with the manifest. Prints <c>key=value</c> lines that ops/failover-drill.sh reads.
/// </summary>
public static class Drill
{
    public static async Task<int> RunAsync(
        string secondary, Uri influxUrl, string backupHost, string influxd, string? user, string? password, TextWriter output, CancellationToken cancellationToken)
    {
        var site = new BackupCatalog(Path.GetFullPath(secondary));
        var listed = site.List();
        if (listed.Count == 0)
        {
            await output.WriteLineAsync($"error=no backups in {site.Root}");
            return ExitCodes.NotFound;
        }

        var target = listed[^1].Manifest;
        using var influx = new InfluxClient(new InfluxOptions { Url = influxUrl, Database = target.Database, User = user, Password = password, MaxRetries = 2 });
        var tool = new InfluxdTool(influxd, backupHost, TimeSpan.FromHours(6));
        var clock = Stopwatch.StartNew();
        try
        {
            var result = await BackupRestorer.RestoreIntoAsync(site, target.Id, tool, influx, target.Database, cancellationToken);
            await output.WriteLineAsync($"backup={target.Id}");
            await output.WriteLineAsync($"chain={string.Join(',', result.Chain)}");
            await output.WriteLineAsync($"database={result.Database}");
            await output.WriteLineAsync($"backup_end={target.End:O}");
            await output.WriteLineAsync($"checksums=ok");
            foreach (var (policy, measurements) in result.Counts)
            {
                foreach (var (measurement, fields) in measurements)
                {
                    await output.WriteLineAsync($"points.{policy}.{measurement}={BackupManifest.Points(fields)}");
                }
            }

            await output.WriteLineAsync($"restore_seconds={clock.Elapsed.TotalSeconds:0.000}");
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
}
