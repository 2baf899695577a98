using Microsoft.Extensions.Options;

namespace Datacake.Streams.Backups;

/// <summary>
/// Backups, section "Backup". Measurement data (retention policies raw, m1, h1) is backed up every
/// <see cref="MeasurementInterval"/>, before the network metadata (policy meta) and the metadata store (SQLite),
/// which follow every <see cref="MetadataInterval"/>. Every backup is copied to <see cref="SecondaryDirectory"/>
/// (the second site) and verified there by checksum.
/// </summary>
public sealed record BackupOptions
{
    public const string Section = "Backup";

    // Directory, SecondaryDirectory and BackupHost are settable (the rest is init-only): the host fills in their
    // defaults, which depend on its data folder and on Influx:BackupHost, after binding and before validation.

    /// <summary>Primary backup folder; empty = <c>&lt;data&gt;/backups</c>.</summary>
    public string? Directory { get; set; }

    /// <summary>The second site (another disk or mount). Required, and not the primary folder nor inside it.</summary>
    public string? SecondaryDirectory { get; set; }

    /// <summary>Whether the scheduler runs; the endpoints work either way.</summary>
    public bool Enabled { get; init; } = true;

    public TimeSpan MeasurementInterval { get; init; } = TimeSpan.FromHours(1);

    public TimeSpan MetadataInterval { get; init; } = TimeSpan.FromHours(24);

    /// <summary>A new full backup after this long; incrementals (influxd <c>-since</c>) in between.</summary>
    public TimeSpan FullInterval { get; init; } = TimeSpan.FromHours(24);

    /// <summary>Restore points kept: the newest backup of each of the last N hours.</summary>
    public int KeepHourly { get; init; } = 24;

    /// <summary>Restore points kept: the newest backup of each of the last N days (UTC).</summary>
    public int KeepDaily { get; init; } = 14;

    /// <summary>
    /// The manifest counts points with <c>time &lt;= start - CountLag</c>: a point stamped just before the backup
    /// may still be in flight from a writer when the snapshot is taken. 5 s is 10x the slowest write seen here
    /// (a 5,000-point batch in ~0.03 s, retries 0.2-0.4 s); the next backup covers what the lag leaves out.
    /// </summary>
    public TimeSpan CountLag { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// First wait after a scheduled backup failed; doubles after each further failure up to <see cref="RetryMaxDelay"/>
    /// and starts over after a success. 30 s: a passing fault (influxd restarting, a busy RPC port) costs half a minute
    /// of the backup window, not the 5 minutes a fixed wait did.
    /// </summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Longest wait between failed scheduled backups. 5 min: a broken influxd or full disk makes no tight loop.</summary>
    public TimeSpan RetryMaxDelay { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>influxd's backup RPC (host:port). Always passed: without it the tools dial localhost:8088 and retry ~70 s.</summary>
    public string BackupHost { get; set; } = "127.0.0.1:8088";

    /// <summary>The <c>influxd</c> binary that runs <c>backup</c> and <c>restore</c>.</summary>
    public string InfluxdPath { get; init; } = "influxd";

    /// <summary>Limit for one influxd backup/restore run.</summary>
    public TimeSpan ToolTimeout { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>The primary folder for a data folder.</summary>
    public string PrimaryPath(string dataDirectory) =>
        Path.GetFullPath(string.IsNullOrWhiteSpace(Directory) ? Path.Combine(dataDirectory, "backups") : Directory);
}

public sealed class BackupOptionsValidator : IValidateOptions<BackupOptions>
{
    public ValidateOptionsResult Validate(string? name, BackupOptions options)
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.SecondaryDirectory))
        {
            failures.Add("Backup:SecondaryDirectory is required: the second site every backup is copied to");
        }
        else if (!string.IsNullOrWhiteSpace(options.Directory))
        {
            var primary = Normalize(options.Directory);
            var secondary = Normalize(options.SecondaryDirectory);
            if (secondary.StartsWith(primary, StringComparison.Ordinal) || primary.StartsWith(secondary, StringComparison.Ordinal))
            {
                failures.Add("Backup:SecondaryDirectory must be a different path from Backup:Directory, neither inside the other");
            }
        }

        Positive(options.MeasurementInterval, "MeasurementInterval", failures);
        Positive(options.MetadataInterval, "MetadataInterval", failures);
        Positive(options.FullInterval, "FullInterval", failures);
        Positive(options.ToolTimeout, "ToolTimeout", failures);
        Positive(options.RetryDelay, "RetryDelay", failures);
        if (options.RetryMaxDelay < options.RetryDelay)
        {
            failures.Add("Backup:RetryMaxDelay must be at least Backup:RetryDelay");
        }
        if (options.CountLag < TimeSpan.Zero)
        {
            failures.Add("Backup:CountLag must not be negative");
        }

        if (options.KeepHourly < 1 || options.KeepDaily < 0)
        {
            failures.Add("Backup:KeepHourly must be at least 1 and Backup:KeepDaily at least 0");
        }

        var parts = options.BackupHost.Split(':');
        if (parts.Length != 2 || parts[0].Length == 0 || !int.TryParse(parts[1], out var port) || port is < 1 or > 65535)
        {
            failures.Add($"Backup:BackupHost '{options.BackupHost}' must be host:port");
        }

        if (string.IsNullOrWhiteSpace(options.InfluxdPath))
        {
            failures.Add("Backup:InfluxdPath must name the influxd binary");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static string Normalize(string path) => Path.TrimEndingDirectorySeparator(Path.GetFullPath(path)) + Path.DirectorySeparatorChar;

    private static void Positive(TimeSpan value, string key, List<string> failures)
    {
        if (value <= TimeSpan.Zero)
        {
            failures.Add($"Backup:{key} must be positive");
        }
    }
}
