using Datacake.Streams.Files;

namespace Datacake.Streams.UnitTests.Core.Files;

/// <summary>
/// The modes come from the create call, not from the process umask (the test process keeps its usual 022, under which
/// a plain create would give 0644 files and 0755 folders).
/// </summary>
public sealed class PrivateFileTests : IDisposable
{
    private const UnixFileMode OwnerReadWrite = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode OwnerOnlyFolder = OwnerReadWrite | UnixFileMode.UserExecute;

    private readonly string _folder = Directory.CreateTempSubdirectory("dcs-private-file-").FullName;

    [Fact]
    public void CreateDirectory_makes_the_folder_and_every_missing_parent_0700()
    {
        var deepest = Path.Combine(_folder, "a", "b", "c");

        PrivateFile.CreateDirectory(deepest);

        Assert.Equal(OwnerOnlyFolder, File.GetUnixFileMode(Path.Combine(_folder, "a")));
        Assert.Equal(OwnerOnlyFolder, File.GetUnixFileMode(Path.Combine(_folder, "a", "b")));
        Assert.Equal(OwnerOnlyFolder, File.GetUnixFileMode(deepest));
    }

    [Fact]
    public void OpenWrite_creates_the_file_0600_before_the_first_byte()
    {
        var path = Path.Combine(_folder, "new");

        using (var stream = PrivateFile.OpenWrite(path))
        {
            // Still empty: the mode is already the final one, so nobody else could have opened it in between.
            Assert.Equal(0, new FileInfo(path).Length);
            Assert.Equal(OwnerReadWrite, File.GetUnixFileMode(path));
            stream.Write("x"u8);
        }

        Assert.Equal(OwnerReadWrite, File.GetUnixFileMode(path));
        Assert.Throws<IOException>(() => PrivateFile.OpenWrite(path).Dispose());
    }

    [Fact]
    public void WriteAllBytes_and_WriteAllText_replace_the_file_with_a_0600_one()
    {
        var bytes = Path.Combine(_folder, "bytes");
        var text = Path.Combine(_folder, "text");
        File.WriteAllText(text, "old");
        Assert.NotEqual(OwnerReadWrite, File.GetUnixFileMode(text));

        PrivateFile.WriteAllBytes(bytes, [1, 2, 3]);
        PrivateFile.WriteAllText(text, "new");

        Assert.Equal([1, 2, 3], File.ReadAllBytes(bytes));
        Assert.Equal("new", File.ReadAllText(text));
        Assert.Equal(OwnerReadWrite, File.GetUnixFileMode(bytes));
        Assert.Equal(OwnerReadWrite, File.GetUnixFileMode(text));
        Assert.Empty(Directory.EnumerateFiles(_folder, "*.tmp"));
    }

    [Fact]
    public async Task Copy_and_CopyAsync_make_a_0600_copy_of_a_world_readable_file()
    {
        var source = Path.Combine(_folder, "source");
        await File.WriteAllBytesAsync(source, [.. Enumerable.Range(0, 200_000).Select(i => (byte)i)]);
        File.SetUnixFileMode(source, OwnerReadWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        PrivateFile.Copy(source, Path.Combine(_folder, "copy"));
        await PrivateFile.CopyAsync(source, Path.Combine(_folder, "copy-async"), CancellationToken.None);

        foreach (var copy in new[] { "copy", "copy-async" })
        {
            Assert.Equal(await File.ReadAllBytesAsync(source), await File.ReadAllBytesAsync(Path.Combine(_folder, copy)));
            Assert.Equal(OwnerReadWrite, File.GetUnixFileMode(Path.Combine(_folder, copy)));
        }

        await Assert.ThrowsAsync<IOException>(() => PrivateFile.CopyAsync(source, Path.Combine(_folder, "copy"), CancellationToken.None));
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
