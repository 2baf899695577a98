using Datacake.Streams.Files;
using System.Formats.Tar;
using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Datacake.Streams.Backups;

/// <summary>
/// One portable backup folder that <c>influxd restore -portable</c> restores in a single run, built from a chain
/// (full + incrementals). influxd itself cannot: given several backups in a folder it restores, per shard, only the
/// newest archive (seen with 1.6.7: 30 of 80 points came back). So, per shard, the TSM files of every backup of the
/// chain are merged into one archive, a later file of the same name replacing an earlier one; points that appear in
/// two files are the same points, and InfluxDB reads them once. The InfluxDB meta (databases, policies, shard groups)
/// is the newest backup's.
/// </summary>
public static class RestoreSet
{
    public static async Task<string> BuildAsync(BackupCatalog site, IReadOnlyList<BackupManifest> chain, string workFolder, CancellationToken cancellationToken)
    {
        var target = chain[^1];
        PrivateFile.CreateDirectory(workFolder);
        var files = new JsonArray();
        string? metaSource = null;
        var stamp = "restore";
        foreach (var policy in target.RetentionPolicies)
        {
            var policyFolder = Path.Combine(site.FolderOf(target.Id), "influx", policy);
            var (lastManifestPath, lastManifest) = ReadInfluxManifest(policyFolder);
            stamp = Path.GetFileNameWithoutExtension(lastManifestPath);
            metaSource = Path.Combine(policyFolder, lastManifest["meta"]!["fileName"]!.GetValue<string>());
            foreach (var shard in Shards(lastManifest))
            {
                var shardId = shard!["shardID"]!.GetValue<ulong>();
                var database = shard["database"]!.GetValue<string>();
                var archives = new List<string>();
                foreach (var member in chain.Where(m => m.RetentionPolicies.Contains(policy)))
                {
                    var memberFolder = Path.Combine(site.FolderOf(member.Id), "influx", policy);
                    var (_, memberManifest) = ReadInfluxManifest(memberFolder);
                    foreach (var file in Shards(memberManifest))
                    {
                        if (file!["shardID"]!.GetValue<ulong>() == shardId)
                        {
                            archives.Add(Path.Combine(memberFolder, file["fileName"]!.GetValue<string>()));
                        }
                    }
                }

                var archiveName = $"{stamp}.s{shardId}.tar.gz";
                var size = await MergeAsync(archives, database, policy, shardId, Path.Combine(workFolder, archiveName), Path.Combine(workFolder, "x", shardId.ToString(System.Globalization.CultureInfo.InvariantCulture)), cancellationToken);
                files.Add(new JsonObject
                {
                    ["database"] = database,
                    ["policy"] = policy,
                    ["shardID"] = shardId,
                    ["fileName"] = archiveName,
                    ["size"] = size,
                    ["lastModified"] = 0,
                });
            }
        }

        if (metaSource is null)
        {
            throw new BackupException(BackupFailure.BrokenChain, $"backup {target.Id} holds no InfluxDB data");
        }

        var metaName = stamp + ".meta";
        var metaCopy = Path.Combine(workFolder, metaName);
        File.Delete(metaCopy);
        PrivateFile.Copy(metaSource, metaCopy);
        var manifest = new JsonObject
        {
            ["meta"] = new JsonObject { ["fileName"] = metaName, ["size"] = new FileInfo(metaSource).Length },
            ["limited"] = false,
            ["files"] = files,
        };
        PrivateFile.WriteAllText(Path.Combine(workFolder, stamp + ".manifest"), manifest.ToJsonString());
        Directory.Delete(Path.Combine(workFolder, "x"), recursive: true);
        return workFolder;
    }

    /// <summary>The shard archives an influxd manifest lists; a policy without shards has <c>"files": null</c>.</summary>
    private static IEnumerable<JsonNode> Shards(JsonNode manifest) =>
        manifest["files"] is JsonArray files ? files.OfType<JsonNode>() : [];

    private static (string Path, JsonNode Manifest) ReadInfluxManifest(string folder)
    {
        var path = Directory.Exists(folder) ? Directory.EnumerateFiles(folder, "*.manifest").Order(StringComparer.Ordinal).LastOrDefault() : null;
        if (path is null)
        {
            throw new BackupException(BackupFailure.BrokenChain, $"no influxd manifest in {folder}");
        }

        try
        {
            return (path, JsonNode.Parse(File.ReadAllBytes(path)) ?? throw new JsonException("empty"));
        }
        catch (JsonException ex)
        {
            throw new BackupException(BackupFailure.ChecksumMismatch, $"unreadable influxd manifest {path}: {ex.Message}", ex);
        }
    }

    /// <summary>Extracts the archives in order (later files replace earlier ones) and writes one archive; returns its tar size.</summary>
    private static async Task<long> MergeAsync(
        IReadOnlyList<string> archives, string database, string policy, ulong shardId, string destination, string scratch, CancellationToken cancellationToken)
    {
        PrivateFile.CreateDirectory(scratch);
        foreach (var archive in archives)
        {
            await using var file = File.OpenRead(archive);
            await using var gzip = new GZipStream(file, CompressionMode.Decompress);
            await using var reader = new TarReader(gzip);
            while (await reader.GetNextEntryAsync(copyData: false, cancellationToken) is { } entry)
            {
                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile))
                {
                    continue;
                }

                // Only the file name is used: entry paths come from the archive and must not choose where we write.
                var name = Path.GetFileName(entry.Name);
                await entry.ExtractToFileAsync(Path.Combine(scratch, name), overwrite: true, cancellationToken);
            }
        }

        long size = 0;
        await using (var output = PrivateFile.OpenWrite(destination, FileMode.Create, asynchronous: true))
        await using (var gzip = new GZipStream(output, CompressionLevel.Fastest))
        await using (var writer = new TarWriter(gzip, TarEntryFormat.Pax))
        {
            foreach (var path in Directory.EnumerateFiles(scratch).Order(StringComparer.Ordinal))
            {
                var entryName = $"{database}/{policy}/{shardId}/{Path.GetFileName(path)}";
                await writer.WriteEntryAsync(path, entryName, cancellationToken);
                size += 512 + ((new FileInfo(path).Length + 511) / 512 * 512);
            }
        }

        return size;
    }
}
