using Datacake.Streams.RecordLog.Faster.Storage;
using Datacake.Streams.IntegrationTests.EndToEnd;
using FASTER.core;

namespace Datacake.Streams.IntegrationTests.Log.Faster;

/// <summary>
/// The log writes FasterLog's commit files itself (CheckedCommitManager): what it writes must be what FASTER's own
/// manager reads back at recovery, byte for byte, and only whole files may be listed.
/// </summary>
public sealed class CommitFileTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("dcs-commit-").FullName;

    [Theory]
    [InlineData(44)]
    [InlineData(508)]
    [InlineData(509)]
    [InlineData(3000)]
    public void A_commit_file_written_here_is_the_file_FASTERs_own_manager_writes(int metadataLength)
    {
        var metadata = Enumerable.Range(0, metadataLength).Select(i => (byte)(i * 7 + 1)).ToArray();
        var ours = Path.Combine(_directory, "ours");
        using (var manager = new CheckedCommitManager(ours))
        {
            manager.Commit(64, 4096, metadata, commitNum: 5, forceWriteMetadata: false);
            Assert.Null(manager.LastFailure);
            Assert.Equal(4096, manager.DurableUntil);
        }

        var theirs = Path.Combine(_directory, "faster");
        using (var faster = new DeviceLogCommitCheckpointManager(new LocalStorageNamedDeviceFactory(), new DefaultCheckpointNamingScheme(theirs)))
        {
            faster.Commit(64, 4096, metadata, 5, false);
        }

        // Same path under the folder, same bytes (length, metadata, zeros to whole 512-byte sectors).
        var file = Path.GetRelativePath(theirs, Assert.Single(Directory.GetFiles(theirs, "*", SearchOption.AllDirectories)));
        Assert.Equal(File.ReadAllBytes(Path.Combine(theirs, file)), File.ReadAllBytes(Path.Combine(ours, file)));

        // And FASTER's manager, as FasterLog builds it, reads it back at recovery (the metadata, then the sector's padding).
        using var reader = new DeviceLogCommitCheckpointManager(new LocalStorageNamedDeviceFactory(), new DefaultCheckpointNamingScheme(ours));
        Assert.Equal([5L], reader.ListCommits());
        Assert.Equal(metadata, reader.GetCommitMetadata(5)[..metadataLength]);
    }

    [Fact]
    public async Task A_newer_whole_commit_replaces_the_older_file_and_recovery_reads_the_newest()
    {
        using var manager = new CheckedCommitManager(_directory);
        manager.Commit(0, 100, [1, 2, 3], commitNum: 1, forceWriteMetadata: false);
        manager.Commit(0, 200, [4, 5, 6], commitNum: 2, forceWriteMetadata: false);

        // The older file goes off the commit path (a thread-pool item): wait for it.
        var commits = await Until.Async(() => Task.FromResult(manager.ListCommits().ToList()), c => c.Count == 1, "the older commit file removed");
        Assert.Equal([2L], commits);
        Assert.Equal([4, 5, 6], manager.GetCommitMetadata(2)[..3]);
        Assert.Equal(200, manager.DurableUntil);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
