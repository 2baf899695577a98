using System.IO.Compression;
using System.Text;

namespace Datacake.Streams.IntegrationTests.Host.Hosting;

/// <summary>
/// Searches what an installation wrote (files, gzip archives opened, process output, log records) for text a test
/// must never find there: markers of a private body, issued secrets. Text is compared ignoring ASCII case; raw bytes
/// (e.g. a signing key's own bytes) exactly.
/// </summary>
internal static class SecretScan
{
    /// <summary>Every file under <paramref name="root"/>, gzip archives also opened, scanned for the markers.</summary>
    public static IEnumerable<string> Find(string root, string[] markers, IReadOnlyList<byte[]>? rawKeys = null)
    {
        var files = Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).ToList();
        Assert.NotEmpty(files);
        foreach (var file in files)
        {
            var bytes = File.ReadAllBytes(file);
            foreach (var hit in FindIn(file, bytes, markers, rawKeys))
            {
                yield return hit;
            }

            if (file.EndsWith(".gz", StringComparison.Ordinal))
            {
                using var gzip = new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress);
                using var unpacked = new MemoryStream();
                gzip.CopyTo(unpacked);
                foreach (var hit in FindIn(file + " (unpacked)", unpacked.ToArray(), markers, rawKeys))
                {
                    yield return hit;
                }
            }
        }
    }

    /// <summary>The places in <paramref name="bytes"/> where a marker (any ASCII case) or a raw key (exactly) occurs.</summary>
    public static IEnumerable<string> FindIn(string where, byte[] bytes, string[] markers, IReadOnlyList<byte[]>? rawKeys = null)
    {
        // ASCII case folding is enough: every marker is ASCII.
        var folded = new byte[bytes.Length];
        for (var i = 0; i < bytes.Length; i++)
        {
            folded[i] = bytes[i] is >= (byte)'A' and <= (byte)'Z' ? (byte)(bytes[i] + 32) : bytes[i];
        }

        foreach (var marker in markers)
        {
            var at = folded.AsSpan().IndexOf(Encoding.ASCII.GetBytes(marker.ToLowerInvariant()));
            if (at >= 0)
            {
                var start = Math.Max(0, at - 40);
                var context = Encoding.UTF8.GetString(bytes, start, Math.Min(bytes.Length - start, marker.Length + 80));
                yield return $"{where} @ {at}: '{marker}' in …{context}…";
            }
        }

        foreach (var key in rawKeys ?? [])
        {
            var at = bytes.AsSpan().IndexOf(key);
            if (at >= 0)
            {
                yield return $"{where} @ {at}: the raw bytes of a signing key ({key.Length} bytes)";
            }
        }
    }
}
