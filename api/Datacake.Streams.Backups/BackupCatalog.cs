using Datacake.Streams.Files;
using System.Text.Json;

namespace Datacake.Streams.Backups;

/// <summary>A backup as listed: its manifest and the last verification of each site.</summary>
public sealed record BackupEntry(BackupManifest Manifest, BackupVerification? Verification);

/// <summary>The outcome of checking both sites' copies of one backup against its manifest.</summary>
public sealed record BackupVerification(DateTimeOffset VerifiedAt, bool PrimaryOk, bool SecondaryOk, IReadOnlyList<string> Problems)
{
    public bool Ok => PrimaryOk && SecondaryOk;
}

/// <summary>
/// The backups of one site: a folder per backup (<c>&lt;root&gt;/&lt;id&gt;/</c>) with <c>manifest.json</c>, written last
/// and atomically, so a folder without one is an unfinished backup and is not listed.
/// </summary>
public sealed class BackupCatalog(string root)
{
    public const string VerificationFileName = "verification.json";

    public string Root { get; } = root;

    public string FolderOf(string id) => Path.Combine(Root, id);

    public IReadOnlyList<BackupEntry> List()
    {
        if (!Directory.Exists(Root))
        {
            return [];
        }

        var entries = new List<BackupEntry>();
        foreach (var folder in Directory.EnumerateDirectories(Root))
        {
            if (TryRead(Path.GetFileName(folder)) is { } entry)
            {
                entries.Add(entry);
            }
        }

        return [.. entries.OrderBy(e => e.Manifest.StartedAt).ThenBy(e => e.Manifest.Id, StringComparer.Ordinal)];
    }

    public BackupEntry? TryRead(string id)
    {
        if (!BackupIds.IsValid(id))
        {
            return null;
        }

        var path = Path.Combine(FolderOf(id), BackupManifest.FileName);
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            var manifest = JsonSerializer.Deserialize<BackupManifest>(File.ReadAllBytes(path), BackupManifest.Json);
            if (manifest is null || manifest.Id != id)
            {
                return null;
            }

            var verificationPath = Path.Combine(FolderOf(id), VerificationFileName);
            var verification = File.Exists(verificationPath)
                ? JsonSerializer.Deserialize<BackupVerification>(File.ReadAllBytes(verificationPath), BackupManifest.Json)
                : null;
            return new BackupEntry(manifest, verification);
        }
        catch (JsonException)
        {
            // A damaged manifest makes the backup unusable; it is not listed (and verify answers 404 for it).
            return null;
        }
    }

    public static void WriteJson<T>(string path, T value)
    {
        PrivateFile.WriteAllBytes(path, JsonSerializer.SerializeToUtf8Bytes(value, BackupManifest.Json));
    }

    public void WriteVerification(string id, BackupVerification verification) =>
        WriteJson(Path.Combine(FolderOf(id), VerificationFileName), verification);

    public void Delete(string id)
    {
        var folder = FolderOf(id);
        if (Directory.Exists(folder))
        {
            // The manifest goes first: a half-deleted folder must never look like a complete backup.
            File.Delete(Path.Combine(folder, BackupManifest.FileName));
            Directory.Delete(folder, recursive: true);
        }
    }
}

/// <summary>Backup ids: <c>bk-</c> + UTC start time to the millisecond, so that ids sort in time order.</summary>
public static class BackupIds
{
    public static string For(DateTimeOffset startedAt) =>
        "bk-" + startedAt.UtcDateTime.ToString("yyyyMMdd'T'HHmmssfff'Z'", System.Globalization.CultureInfo.InvariantCulture);

    public static bool IsValid(string? id) =>
        id is { Length: 22 } && id.StartsWith("bk-", StringComparison.Ordinal) && id.AsSpan(3).IndexOfAnyExcept("0123456789TZ") < 0;
}
