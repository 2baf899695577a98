namespace Datacake.Streams.IntegrationTests.Services;

/// <summary>
/// A real filesystem that a test can fill up: a tmpfs of a few MiB mounted on a temporary folder (root only: CI runs
/// as root). <see cref="Fill"/> writes a filler file until the kernel answers ENOSPC; <see cref="Free"/> deletes it.
/// </summary>
public sealed class SmallFilesystem : IDisposable
{
    private readonly string _filler;

    private SmallFilesystem(string path)
    {
        Path = path;
        _filler = System.IO.Path.Combine(path, "filler");
    }

    public string Path { get; }

    public static async Task<SmallFilesystem> MountAsync(int megabytes)
    {
        var path = Directory.CreateTempSubdirectory("dcs-small-fs-").FullName;
        var mount = await ExternalCommand.RunAsync("mount", TimeSpan.FromSeconds(30), "-t", "tmpfs", "-o", $"size={megabytes}m,mode=0700", "tmpfs", path);
        Assert.True(mount.ExitCode == 0, $"mounting a {megabytes} MiB tmpfs on {path} failed ({mount.Error.Trim()}); the disk-full tests need root (CI runs .ci/run as root)");
        return new SmallFilesystem(path);
    }

    /// <summary>Takes every free byte, so the next write of anyone else on this filesystem fails with ENOSPC.</summary>
    public void Fill()
    {
        var chunk = new byte[64 * 1024];
        using var file = new FileStream(_filler, FileMode.Append, FileAccess.Write, FileShare.None, bufferSize: 1);
        try
        {
            while (true)
            {
                file.Write(chunk);
            }
        }
        catch (IOException)
        {
            // ENOSPC: the filesystem is full; smaller writes take the last partial chunk.
        }

        try
        {
            while (true)
            {
                file.Write(chunk.AsSpan(0, 512));
            }
        }
        catch (IOException)
        {
        }
    }

    public void Free() => File.Delete(_filler);

    public void Dispose()
    {
        // Lazy unmount: returns at once even while a process still holds a file there.
        ExternalCommand.RunAsync("umount", TimeSpan.FromSeconds(30), "-l", Path).GetAwaiter().GetResult();
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
