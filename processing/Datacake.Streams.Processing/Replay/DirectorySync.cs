using Datacake.Streams.Files;
using System.Runtime.InteropServices;

namespace Datacake.Streams.Processing.Replay;

/// <summary>
/// fsync of a directory, so that a rename is on disk and not only the file it names. .NET has no API for it
/// (a FileStream cannot open a directory), hence libc on Unix; Windows makes a rename durable with the file.
/// </summary>
internal static class DirectorySync
{
    /// <summary>
    /// Replaces <paramref name="path"/> with <paramref name="content"/> durably: a temp file written and fsynced,
    /// renamed over the target, the directory fsynced. A crash leaves the old file or the new one whole, and at most a
    /// torn <c>.tmp</c> beside it (readers delete it unread).
    /// </summary>
    public static void ReplaceFile(string path, ReadOnlySpan<byte> content)
    {
        var temp = path + ".tmp";
        using (var stream = PrivateFile.OpenWrite(temp, FileMode.Create))
        {
            stream.Write(content);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temp, path, overwrite: true);
        Flush(Path.GetDirectoryName(path)!);
    }

    public static void Flush(string directory)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var fd = Open(directory, 0);
        if (fd < 0)
        {
            throw new IOException($"cannot open directory {directory} to fsync it (errno {Marshal.GetLastPInvokeError()})");
        }

        try
        {
            if (Fsync(fd) != 0)
            {
                throw new IOException($"fsync of directory {directory} failed (errno {Marshal.GetLastPInvokeError()})");
            }
        }
        finally
        {
            _ = Close(fd);
        }
    }

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static extern int Fsync(int fd);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    private static extern int Close(int fd);
}
