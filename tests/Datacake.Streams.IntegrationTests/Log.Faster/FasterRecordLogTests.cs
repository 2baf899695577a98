using System.Text;
using Datacake.Streams.IntegrationTests.Core.RecordLog;
using Datacake.Streams.RecordLog.Faster;
using Datacake.Streams.RecordLog;
using Microsoft.Extensions.Time.Testing;

namespace Datacake.Streams.IntegrationTests.Log.Faster;

/// <summary>What the FasterLog backend promises beyond the shared contract: on-disk layout, restarts, groups, batching.</summary>
public sealed class FasterRecordLogTests : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private readonly TempLogDirectory _directory = new();

    private FasterRecordLogOptions Options => new() { DataDirectory = _directory.Path };

    [Fact]
    public async Task Each_partition_has_its_own_directory_under_the_topic()
    {
        await using (var log = await FasterRecordLog.OpenAsync(Options with { Partitions = 3 }))
        {
            Assert.Equal(3, log.PartitionCount("layout"));
            await log.AppendAsync("layout", Key(1), Value("x"));
        }

        var topic = Path.Combine(_directory.Path, "layout");
        Assert.Equal(["0", "1", "2"], Directory.GetDirectories(topic).Select(Path.GetFileName).Order());
        Assert.True(Directory.Exists(Path.Combine(topic, "0", "commits")));
    }

    [Fact]
    public async Task A_key_keeps_its_partition_across_a_restart_even_when_the_configured_count_changes()
    {
        var keys = Enumerable.Range(0, 50).Select(Key).ToArray();
        LogPosition[] before;
        await using (var log = await FasterRecordLog.OpenAsync(Options with { Partitions = 4 }))
        {
            before = await AppendAllAsync(log, "stable", keys);
        }

        await using (var log = await FasterRecordLog.OpenAsync(Options with { Partitions = 7 }))
        {
            Assert.Equal(4, log.PartitionCount("stable"));
            var after = await AppendAllAsync(log, "stable", keys);
            Assert.Equal(before.Select(p => p.Partition), after.Select(p => p.Partition));
        }

        Assert.True(before.Select(p => p.Partition).Distinct().Count() > 1, "50 keys should spread over several partitions");
    }

    [Fact]
    public async Task A_group_resumes_after_its_commit_when_the_log_was_closed_and_reopened()
    {
        await using (var log = await FasterRecordLog.OpenAsync(Options with { Partitions = 2 }))
        {
            for (var i = 0; i < 30; i++)
            {
                await log.AppendAsync("resume", Key(i % 3), Value($"{i}"));
            }

            using var member = log.Subscribe("resume", "g");
            var read = LogReads.Consume(member, 30);
            var lastOfPartition0 = read.Last(r => r.Position.Partition == 0);
            var firstOfPartition0 = read.First(r => r.Position.Partition == 0);
            var firstOfPartition1 = read.First(r => r.Position.Partition == 1);
            Assert.True(member.Commit(lastOfPartition0.Position));
            Assert.True(member.Commit(firstOfPartition1.Position));

            // An older offset does not rewind partition 0.
            Assert.True(member.Commit(firstOfPartition0.Position));
        }

        await using (var log = await FasterRecordLog.OpenAsync(Options))
        {
            using var member = log.Subscribe("resume", "g");
            var rest = new List<LogRecord>();
            while (member.Consume(TimeSpan.FromMilliseconds(500)) is { } record)
            {
                rest.Add(record);
            }

            Assert.NotEmpty(rest);
            Assert.All(rest, r => Assert.Equal(1, r.Position.Partition));
            using var fresh = log.Subscribe("resume", "other");
            var all = LogReads.Consume(fresh, 30);
            var partition1 = all.Where(r => r.Position.Partition == 1).ToList();
            Assert.Equal(partition1.Skip(1).Select(r => r.Position), rest.Select(r => r.Position));
        }
    }

    [Fact]
    public async Task A_group_starting_at_latest_sees_only_records_appended_after_it_joined()
    {
        await using var log = await FasterRecordLog.OpenAsync(Options);
        await log.AppendAsync("latest", Key(1), Value("old"));
        using var member = log.Subscribe("latest", "g", StartPosition.Latest);
        Assert.Null(member.Consume(TimeSpan.FromMilliseconds(50)));

        await log.AppendAsync("latest", Key(1), Value("new"));
        var record = member.Consume(Deadline);
        Assert.NotNull(record);
        Assert.Equal("new", Encoding.UTF8.GetString(record.Value.Span));
    }

    [Fact]
    public async Task A_commit_for_a_partition_taken_by_a_rebalance_is_refused()
    {
        await using var log = await FasterRecordLog.OpenAsync(Options with { Partitions = 2 });
        for (var i = 0; i < 20; i++)
        {
            await log.AppendAsync("rebalance", Key(i), Value($"{i}"));
        }

        using var first = log.Subscribe("rebalance", "g");
        var read = LogReads.Consume(first, 20);
        using var second = log.Subscribe("rebalance", "g");
        var lost = Assert.Single(Enumerable.Range(0, 2).Except(first.Assignment));
        var record = read.First(r => r.Position.Partition == lost);
        Assert.False(first.Commit(record.Position));
        Assert.Contains(lost, second.Assignment);
        Assert.True(second.Commit(record.Position));
    }

    [Fact]
    public async Task Appends_wait_for_the_commit_interval_and_complete_together()
    {
        var time = new FakeTimeProvider();
        await using var log = await FasterRecordLog.OpenAsync(Options with { CommitInterval = TimeSpan.FromMilliseconds(500), Partitions = 1 }, time);

        // After a quiet period the first append commits at once.
        await log.AppendAsync("batch", Key(1), Value("first")).AsTask().WaitAsync(Deadline);

        var second = log.AppendAsync("batch", Key(1), Value("second")).AsTask();
        var third = log.AppendAsync("batch", Key(2), Value("third")).AsTask();

        // Within the interval nothing commits: the committer waits on the fake clock.
        await Task.WhenAny(second, Task.Delay(50));
        Assert.False(second.IsCompleted, "an append completed before the commit interval passed");
        Assert.False(third.IsCompleted);

        time.Advance(TimeSpan.FromMilliseconds(500));
        var positions = await Task.WhenAll(second, third).WaitAsync(Deadline);
        Assert.True(positions[1].Offset > positions[0].Offset);
    }

    [Fact]
    public async Task A_disposed_log_refuses_appends_as_unavailable()
    {
        var log = await FasterRecordLog.OpenAsync(Options);
        await log.AppendAsync("closed", Key(1), Value("x"));
        Assert.True(await log.IsReachableAsync());
        await log.DisposeAsync();

        Assert.False(await log.IsReachableAsync());
        await Assert.ThrowsAsync<RecordLogUnavailableException>(async () => await log.AppendAsync("closed", Key(1), Value("y")));
    }

    [Fact]
    public async Task Unsafe_topic_and_group_names_are_rejected()
    {
        await using var log = await FasterRecordLog.OpenAsync(Options);
        await Assert.ThrowsAsync<ArgumentException>(async () => await log.AppendAsync("../escape", Key(1), Value("x")));
        Assert.Throws<ArgumentException>(() => log.Subscribe("fine", "a/b"));
        Assert.False(Directory.Exists(Path.Combine(_directory.Path, "..", "escape")));
    }

    [Fact]
    public async Task Many_concurrent_appends_are_all_durable_after_a_restart()
    {
        const int count = 20_000;
        await using (var log = await FasterRecordLog.OpenAsync(Options))
        {
            var appends = Enumerable.Range(0, count).Select(i => log.AppendAsync("many", Key(i % 100), Value($"{i}")).AsTask());
            await Task.WhenAll(appends).WaitAsync(Deadline);
        }

        await using (var log = await FasterRecordLog.OpenAsync(Options))
        {
            using var member = log.Subscribe("many", "check");
            var values = LogReads.Consume(member, count).Select(r => int.Parse(Encoding.UTF8.GetString(r.Value.Span))).ToHashSet();
            Assert.Equal(count, values.Count);
            Assert.Null(member.Consume(TimeSpan.FromMilliseconds(200)));
        }
    }

    [Fact]
    public async Task Copying_reads_give_exactly_the_records_consume_returns_into_one_reused_buffer()
    {
        await using var log = await FasterRecordLog.OpenAsync(Options with { Partitions = 3 });

        // Sizes around and above the reader's 4 KiB scratch buffer, so that it has to grow on the way.
        var sizes = new[] { 1, 200, 4_000, 4_091, 4_096, 9_000, 70_000, 3 };
        for (var i = 0; i < 40; i++)
        {
            var value = new byte[sizes[i % sizes.Length]];
            Random.Shared.NextBytes(value);
            await log.AppendAsync("copying", Key(i % 5), value);
        }

        using var consuming = log.Subscribe("copying", "consume");
        var expected = LogReads.Consume(consuming, 40);
        using var copying = (IRecordLogCopyingConsumer)log.Subscribe("copying", "copy");
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        var copied = new List<(LogPosition Position, byte[] Key, byte[] Value)>();
        var deadline = DateTime.UtcNow + Deadline;
        while (copied.Count < expected.Count)
        {
            Assert.True(DateTime.UtcNow < deadline, $"copied {copied.Count} of {expected.Count}");
            buffer.ResetWrittenCount();
            if (copying.TryConsumeInto(TimeSpan.FromMilliseconds(200), buffer, out var position, out var keyLength, out var valueLength))
            {
                Assert.Equal(keyLength + valueLength, buffer.WrittenCount);
                copied.Add((position, buffer.WrittenSpan[..keyLength].ToArray(), buffer.WrittenSpan[keyLength..].ToArray()));
            }
        }

        Assert.Equal(
            expected.Select(r => r.Position).OrderBy(p => p.Partition).ThenBy(p => p.Offset),
            copied.Select(r => r.Position).OrderBy(p => p.Partition).ThenBy(p => p.Offset));
        foreach (var (position, key, value) in copied)
        {
            var original = expected.Single(r => r.Position == position);
            Assert.Equal(original.Key.ToArray(), key);
            Assert.Equal(original.Value.ToArray(), value);
        }

        Assert.False(copying.TryConsumeInto(TimeSpan.FromMilliseconds(50), buffer, out _, out _, out _));
    }

    private static async Task<LogPosition[]> AppendAllAsync(IRecordLog log, string topic, byte[][] keys)
    {
        var positions = new LogPosition[keys.Length];
        for (var i = 0; i < keys.Length; i++)
        {
            positions[i] = await log.AppendAsync(topic, keys[i], Value("v"));
        }

        return positions;
    }

    private static byte[] Key(int k) => Encoding.UTF8.GetBytes($"device-{k:D4}");

    private static byte[] Value(string text) => Encoding.UTF8.GetBytes(text);

    public void Dispose() => _directory.Dispose();
}
