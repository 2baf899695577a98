using System.Runtime.InteropServices;

namespace Datacake.Streams.Files;

/// <summary>
/// The one place the host creates files and folders under its data folder, the backups and the second site: files
/// 0600 and folders 0700 from the first byte (the mode is given to open/mkdir, never a chmod afterwards, so no other
/// user can open them in between). Keys, the operator token and the metadata snapshot (e-mails, token hashes) live there.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public static partial class PrivateFile
{
    /// <summary>rw for the owner only.</summary>
    public const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>rwx for the owner only.</summary>
    public const UnixFileMode FolderMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    // 077 clears group and other bits of every mode the process (and the children it starts) asks for.
    private const int OwnerOnlyMask = 0b000_111_111;

    /// <summary>
    /// Makes every file and folder the process creates from now on owner-only, also those that libraries
    /// (FasterLog's devices, SQLite's -wal/-shm) and child processes (<c>influxd backup</c> inherits the mask) create
    /// themselves. Called once at the start of the host, before anything is written.
    /// </summary>
    public static void RestrictNewFilesToOwner() => SetUmask(OwnerOnlyMask);

    /// <summary>Creates the folder and any missing parents 0700; an existing folder keeps its mode.</summary>
    public static DirectoryInfo CreateDirectory(string path)
    {
        // Directory.CreateDirectory(path, mode) gives the mode to the last folder only; missing parents would get
        // 0777 less the umask (0755 usually): each one is created on its own, the outermost first.
        var missing = new Stack<string>();
        for (var folder = Path.GetFullPath(path); !Directory.Exists(folder); folder = Path.GetDirectoryName(folder)!)
        {
            missing.Push(folder);
        }

        while (missing.TryPop(out var folder))
        {
            Directory.CreateDirectory(folder, FolderMode);
        }

        return new DirectoryInfo(path);
    }

    /// <summary>Opens <paramref name="path"/> for writing; when the open creates it, it is created 0600.</summary>
    public static FileStream OpenWrite(string path, System.IO.FileMode mode = System.IO.FileMode.CreateNew, FileShare share = FileShare.None, bool asynchronous = false) =>
        new(path, new FileStreamOptions
        {
            Mode = mode,
            Access = FileAccess.Write,
            Share = share,
            BufferSize = 1 << 16,
            Options = asynchronous ? FileOptions.Asynchronous : FileOptions.None,
            UnixCreateMode = FileMode,
        });

    /// <summary>Writes the file atomically (a 0600 temporary renamed over it), flushed to disk.</summary>
    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
    {
        var temp = path + ".tmp";
        using (var stream = OpenWrite(temp, System.IO.FileMode.Create))
        {
            stream.Write(bytes);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temp, path, overwrite: true);
    }

    /// <summary>Writes UTF-8 text atomically, like <see cref="WriteAllBytes"/>.</summary>
    public static void WriteAllText(string path, string text) => WriteAllBytes(path, System.Text.Encoding.UTF8.GetBytes(text));

    /// <summary>Copies <paramref name="source"/> to a new 0600 file <paramref name="destination"/> (which must not exist), flushed to disk.</summary>
    public static async Task CopyAsync(string source, string destination, CancellationToken cancellationToken)
    {
        await using var input = new FileStream(source, System.IO.FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
        await using var output = OpenWrite(destination, asynchronous: true);
        await input.CopyToAsync(output, cancellationToken);
        output.Flush(flushToDisk: true);
    }

    /// <summary>Copies synchronously, like <see cref="CopyAsync"/>.</summary>
    public static void Copy(string source, string destination)
    {
        using var input = new FileStream(source, System.IO.FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        using var output = OpenWrite(destination);
        input.CopyTo(output);
        output.Flush(flushToDisk: true);
    }

    [LibraryImport("libc", EntryPoint = "umask")]
    private static partial int SetUmask(int mask);
}
