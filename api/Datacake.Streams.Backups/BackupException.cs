namespace Datacake.Streams.Backups;

/// <summary>Why a backup, verification or restore failed; each maps to one problem <c>type</c> in the API.</summary>
public enum BackupFailure
{
    /// <summary>influxd backup/restore is not installed or not at Backup:InfluxdPath.</summary>
    ToolMissing,

    /// <summary>influxd backup/restore failed or timed out.</summary>
    Tool,

    /// <summary>No backup with that id.</summary>
    NotFound,

    /// <summary>A file is missing or its checksum differs from the manifest.</summary>
    ChecksumMismatch,

    /// <summary>The restored database does not hold the manifest's counts.</summary>
    CountMismatch,

    /// <summary>A backup in the chain the restore needs is missing.</summary>
    BrokenChain,

    /// <summary>The request would overwrite live data and did not say <c>"confirm": true</c>.</summary>
    ConfirmationRequired,

    /// <summary>Another backup or restore is running.</summary>
    Busy,

    /// <summary>InfluxDB refused or did not answer a query.</summary>
    Influx,
}

public sealed class BackupException(BackupFailure failure, string message, Exception? inner = null) : Exception(message, inner)
{
    public BackupFailure Failure { get; } = failure;
}
