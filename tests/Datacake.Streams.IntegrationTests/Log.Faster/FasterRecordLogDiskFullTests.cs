using System.Text;
using Datacake.Streams.IntegrationTests.Services;
using Datacake.Streams.RecordLog;
using Datacake.Streams.RecordLog.Faster;
using Datacake.Streams.RecordLog.Faster.Storage;

namespace Datacake.Streams.IntegrationTests.Log.Faster;

/// <summary>
/// The embedded log on a real filesystem that fills up (a small tmpfs): appends fail as unavailable, none of them
/// is ever read, and once space returns the same open log takes appends again while its reader carries on.
/// </summary>
public sealed class FasterRecordLogDiskFullTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private static readonly byte[] Key = [1, 2, 3, 4];

    [Fact]
    [Trait("Reliability", "disk-full")]
    public async Task A_full_disk_refuses_appends_and_after_space_returns_the_log_takes_them_again_without_a_restart()
    {
        using var disk = await SmallFilesystem.MountAsync(megabytes: 8);
        var options = new FasterRecordLogOptions
        {
            DataDirectory = Path.Combine(disk.Path, "log"),
            Partitions = 1,
            PageSizeBytes = 1 << 16,
            MemorySizeBytes = 1 << 18,
            SegmentSizeBytes = 1 << 20,
            ReopenDelay = TimeSpan.FromMilliseconds(50),
        };
        await using var log = await FasterRecordLog.OpenAsync(options);
        using var reader = log.Subscribe("full", "readers");
        var acknowledged = new List<int>();
        var refused = new List<int>();
        var n = 0;
        for (; n < 20; n++)
        {
            await log.AppendAsync("full", Key, Value(n));
            acknowledged.Add(n);
        }

        // The reader is under way on the files that the failed commit will replace.
        var read = ReadUntil(reader, acknowledged.Count);
        disk.Fill();

        // The last partly used blocks of the filesystem take a few records; the rest are refused, none acknowledged.
        while (refused.Count < 50)
        {
            Assert.True(n < 5_000, "the full disk never refused an append");
            try
            {
                await log.AppendAsync("full", Key, Value(n));
                acknowledged.Add(n);
            }
            catch (RecordLogUnavailableException)
            {
                refused.Add(n);
            }

            n++;
        }

        disk.Free();
        var until = DateTime.UtcNow + Deadline;
        while (true)
        {
            try
            {
                await log.AppendAsync("full", Key, Value(n));
                acknowledged.Add(n++);
                break;
            }
            catch (RecordLogUnavailableException) when (DateTime.UtcNow < until)
            {
                refused.Add(n++);
                await Task.Delay(20);
            }
        }

        for (var i = 0; i < 100; i++, n++)
        {
            await log.AppendAsync("full", Key, Value(n));
            acknowledged.Add(n);
        }

        // Exactly the acknowledged records, in order, each once: a refused one is never read.
        read.AddRange(ReadUntil(reader, acknowledged.Count - read.Count));
        Assert.Null(reader.Consume(TimeSpan.FromMilliseconds(300)));
        Assert.Equal(acknowledged, read);
        Assert.Empty(read.Intersect(refused));
    }

    [Fact]
    [Trait("Reliability", "disk-full")]
    public async Task A_commit_file_the_full_disk_cut_short_is_reported_and_never_counted_as_durable()
    {
        using var disk = await SmallFilesystem.MountAsync(megabytes: 1);
        var directory = Path.Combine(disk.Path, "commits");
        using var commits = new CheckedCommitManager(directory);
        var metadata = new byte[200];

        commits.Commit(64, 1_000, metadata, commitNum: 1, forceWriteMetadata: true);
        Assert.Null(commits.LastFailure);
        Assert.Equal(1_000, commits.DurableUntil);

        // The write meets the full disk: reported, not counted (FASTER's own writer only traced it).
        disk.Fill();
        commits.Commit(64, 2_000, metadata, commitNum: 2, forceWriteMetadata: true);
        Assert.NotNull(commits.LastFailure);
        Assert.Equal(1_000, commits.DurableUntil);
        Assert.Equal([1L], commits.ListCommits());

        disk.Free();
        commits.Commit(64, 3_000, metadata, commitNum: 3, forceWriteMetadata: true);
        Assert.Null(commits.LastFailure);
        Assert.Equal(3_000, commits.DurableUntil);

        // The older file goes only now that a newer one is whole (off the commit path: waited for).
        var until = DateTime.UtcNow + Deadline;
        while (commits.ListCommits().Count() > 1 && DateTime.UtcNow < until)
        {
            await Task.Delay(10);
        }

        Assert.Equal([3L], commits.ListCommits());
        Assert.Equal(metadata, commits.GetCommitMetadata(3)[..metadata.Length]);
    }

    private static List<int> ReadUntil(IRecordLogConsumer reader, int count)
    {
        var values = new List<int>();
        var until = DateTime.UtcNow + Deadline;
        while (values.Count < count)
        {
            Assert.True(DateTime.UtcNow < until, $"read {values.Count} of {count} records within {Deadline}");
            if (reader.Consume(TimeSpan.FromMilliseconds(200)) is { } record)
            {
                values.Add(int.Parse(Encoding.ASCII.GetString(record.Value.Span).TrimEnd('.'), System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        return values;
    }

    // About 100 bytes: a few fit in the last partly used block of the full filesystem.
    private static byte[] Value(int n) => Encoding.ASCII.GetBytes(n.ToString(System.Globalization.CultureInfo.InvariantCulture).PadRight(100, '.'));
}
