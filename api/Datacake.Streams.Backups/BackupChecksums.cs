using System.Security.Cryptography;

namespace Datacake.Streams.Backups;

/// <summary>SHA-256 of every file of a backup folder, and the comparison of a folder against its manifest.</summary>
public static class BackupChecksums
{
    /// <summary>Files the manifest does not list: the manifest itself and the verification record written after it.</summary>
    public static bool IsBookkeeping(string relativePath) =>
        relativePath is BackupManifest.FileName or BackupCatalog.VerificationFileName;

    public static async Task<IReadOnlyList<BackupFile>> ComputeAsync(string folder, CancellationToken cancellationToken)
    {
        var files = new List<BackupFile>();
        foreach (var path in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var relative = Path.GetRelativePath(folder, path).Replace(Path.DirectorySeparatorChar, '/');
            if (IsBookkeeping(relative))
            {
                continue;
            }

            files.Add(new BackupFile(relative, new FileInfo(path).Length, await HashAsync(path, cancellationToken)));
        }

        return files;
    }

    /// <summary>Problems of <paramref name="folder"/> against the manifest's list: missing files, other sizes, other hashes.</summary>
    public static async Task<IReadOnlyList<string>> CompareAsync(string folder, IReadOnlyList<BackupFile> expected, CancellationToken cancellationToken)
    {
        var problems = new List<string>();
        if (!Directory.Exists(folder))
        {
            problems.Add($"folder {folder} is missing");
            return problems;
        }

        foreach (var file in expected)
        {
            var path = Path.Combine(folder, file.Path.Replace('/', Path.DirectorySeparatorChar));
            if (!File.Exists(path))
            {
                problems.Add($"{file.Path}: missing");
                continue;
            }

            var size = new FileInfo(path).Length;
            if (size != file.Size)
            {
                problems.Add($"{file.Path}: {size} bytes, manifest says {file.Size}");
                continue;
            }

            var hash = await HashAsync(path, cancellationToken);
            if (!string.Equals(hash, file.Sha256, StringComparison.Ordinal))
            {
                problems.Add($"{file.Path}: SHA-256 {hash}, manifest says {file.Sha256}");
            }
        }

        return problems;
    }

    public static async Task<string> HashAsync(string path, CancellationToken cancellationToken)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16, useAsync: true);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken));
    }
}
