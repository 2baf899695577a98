using System.Text.Json;
using System.Text.Json.Serialization;

namespace Datacake.Streams.Backups;

public enum BackupKind
{
    /// <summary>Every file of every shard.</summary>
    Full,

    /// <summary>Files changed since the previous backup's end (influxd <c>-since</c>); restored on top of its chain.</summary>
    Incremental,
}

/// <summary>
/// What one backup holds, written as <c>manifest.json</c> beside its files. The counts are what InfluxDB held with
/// <c>time &lt;= End</c> when the backup was taken; a restore of the chain up to this backup must show exactly them.
/// </summary>
public sealed record BackupManifest
{
    public const string FileName = "manifest.json";

    public required string Id { get; init; }

    public required BackupKind Kind { get; init; }

    /// <summary>The full backup this one restores on top of (itself for a full one).</summary>
    public required string BaseId { get; init; }

    /// <summary>The backup before this one in its chain (null for a full one).</summary>
    public string? PreviousId { get; init; }

    public required string Database { get; init; }

    /// <summary>Incrementals hold files changed after this instant (the previous backup's end); null for a full one.</summary>
    public DateTimeOffset? Since { get; init; }

    /// <summary>The counts' upper bound: the start of the backup minus <see cref="BackupOptions.CountLag"/>.</summary>
    public required DateTimeOffset End { get; init; }

    public required DateTimeOffset StartedAt { get; init; }

    public DateTimeOffset FinishedAt { get; init; }

    /// <summary>Retention policies in the order they were backed up (measurements first).</summary>
    public required IReadOnlyList<string> RetentionPolicies { get; init; }

    /// <summary>Whether the metadata store (SQLite) snapshot is part of this backup.</summary>
    public bool MetadataStore { get; init; }

    /// <summary>Every file, relative path with '/' separators, size and SHA-256 (lowercase hex).</summary>
    public required IReadOnlyList<BackupFile> Files { get; init; }

    /// <summary>Per retention policy, per measurement, per field: <c>count(field)</c> with <c>time &lt;= End</c>.</summary>
    public required IReadOnlyDictionary<string, IReadOnlyDictionary<string, IReadOnlyDictionary<string, long>>> Counts { get; init; }

    /// <summary>True when the counts did not move across the snapshot (counted before and after: equal).</summary>
    public bool CountsSettled { get; init; }

    public static JsonSerializerOptions Json { get; } = CreateJson();

    public long TotalBytes => Files.Sum(f => f.Size);

    /// <summary>Points of one measurement: the largest field count (a point has at least one field).</summary>
    public static long Points(IReadOnlyDictionary<string, long> fieldCounts) => fieldCounts.Count == 0 ? 0 : fieldCounts.Values.Max();

    private static JsonSerializerOptions CreateJson()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true };
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase));
        return options;
    }
}

public sealed record BackupFile(string Path, long Size, string Sha256);
