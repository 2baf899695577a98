using System.Text;
using Datacake.Streams.IntegrationTests.Core.RecordLog;
using Datacake.Streams.RecordLog.Faster;
using Datacake.Streams.RecordLog;
using Microsoft.Extensions.Time.Testing;

namespace Datacake.Streams.IntegrationTests.Log.Faster;

/// <summary>
/// Retention of the embedded log on disk: old segments of a topic named in RetainBytes are deleted once every
/// consumer group committed past them, never a record a group still needs, never a topic not named, and a group idle
/// for longer than GroupIdleExpiry no longer holds records back.
/// </summary>
public sealed class FasterRecordLogRetentionTests : IDisposable
{
    private const string Topic = "retained";
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Interval = TimeSpan.FromMinutes(1);
    private readonly TempLogDirectory _directory = new();

    // One-page segments of 4 KiB, so that a few hundred records of ~200 B span many files.
    private FasterRecordLogOptions Options(long retainBytes = 8 * 1024) => new()
    {
        DataDirectory = _directory.Path,
        Partitions = 1,
        CommitInterval = TimeSpan.Zero,
        PageSizeBytes = 4096,
        MemorySizeBytes = 16 * 1024,
        SegmentSizeBytes = 4096,
        RetainBytes = new Dictionary<string, long> { [Topic] = retainBytes },
        RetentionInterval = Interval,
    };

    [Fact]
    public async Task Segments_every_group_committed_past_are_deleted_and_the_rest_stays_readable()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var log = await FasterRecordLog.OpenAsync(Options(), time);
        var positions = await AppendAsync(log, Topic, 300);
        using (var member = log.Subscribe(Topic, "processing"))
        {
            LogReads.Consume(member, 300);
            Assert.True(member.Commit(positions[199]));
        }

        var segmentsBefore = Segments(Topic);
        await RunRetentionRoundAsync(log, time);

        // Everything below the page of record 199 went (it is below the newest 8 KiB too); record 199 onwards stays.
        using var fresh = log.Subscribe(Topic, "late-reader");
        var rest = LogReads.ConsumeAll(fresh);
        Assert.True(rest[0].Position.Offset > positions[100].Offset, $"the log still begins at {rest[0].Position.Offset}");
        Assert.True(rest[0].Position.Offset <= positions[199].Offset, "a record after the group's commit was deleted");
        var segmentsAfter = await SegmentsOnceFewerAsync(log, Topic, segmentsBefore.Length - 5);
        Assert.DoesNotContain("log.0", segmentsAfter);
        Assert.Equal(positions[^1], rest[^1].Position);
        Assert.Contains(rest, r => r.Position == positions[200]);
    }

    [Fact]
    public async Task A_group_that_committed_nothing_holds_every_record_and_an_idle_one_expires()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var log = await FasterRecordLog.OpenAsync(Options(), time);
        var positions = await AppendAsync(log, Topic, 300);
        using (var done = log.Subscribe(Topic, "done"))
        {
            LogReads.Consume(done, 300);
            Assert.True(done.Commit(positions[^1]));
        }

        // A second group that read a little and committed its first record: nothing after that may go.
        using (var slow = log.Subscribe(Topic, "slow"))
        {
            LogReads.Consume(slow, 1);
            Assert.True(slow.Commit(positions[0]));
        }

        var segments = Segments(Topic);
        await RunRetentionRoundAsync(log, time);
        Assert.Equal(segments, Segments(Topic));

        // Eight days on, the slow group has not committed again: it no longer counts; the newest 8 KiB stay.
        File.SetLastWriteTimeUtc(Path.Combine(_directory.Path, Topic, "groups", "slow.positions"), time.GetUtcNow().UtcDateTime.AddDays(-8));
        File.SetLastWriteTimeUtc(Path.Combine(_directory.Path, Topic, "groups", "done.positions"), time.GetUtcNow().UtcDateTime);
        await RunRetentionRoundAsync(log, time);
        var kept = await SegmentsOnceFewerAsync(log, Topic, segments.Length - 5);
        Assert.True(kept.Length >= 2, "the newest 8 KiB (two 4 KiB segments) must stay");
        using var fresh = log.Subscribe(Topic, "late-reader");
        var rest = LogReads.ConsumeAll(fresh).Where(r => !r.Value.Span.SequenceEqual("tick"u8)).ToList();
        Assert.Equal(positions[^1], rest[^1].Position);
        Assert.True(rest.Count is > 30 and < 250, $"{rest.Count} records left");
    }

    [Fact]
    public async Task A_topic_not_named_for_retention_is_kept_whole()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var log = await FasterRecordLog.OpenAsync(Options(), time);
        var positions = await AppendAsync(log, LogTopics.Registry, 300);
        using (var member = log.Subscribe(LogTopics.Registry, "node"))
        {
            LogReads.Consume(member, 300);
            Assert.True(member.Commit(positions[^1]));
        }

        var segments = Segments(LogTopics.Registry);
        await RunRetentionRoundAsync(log, time);
        Assert.Equal(segments, Segments(LogTopics.Registry));
        using var fresh = log.Subscribe(LogTopics.Registry, "new-node");
        Assert.Equal(300, LogReads.ConsumeAll(fresh).Count);
    }

    [Fact]
    public void The_registry_cannot_be_named_for_retention()
    {
        var result = new FasterRecordLogOptionsValidator().Validate(null, Options() with
        {
            RetainBytes = new Dictionary<string, long> { [LogTopics.Registry] = 1L << 30 },
        });
        Assert.True(result.Failed);
        Assert.Contains(LogTopics.Registry, result.FailureMessage, StringComparison.Ordinal);
    }

    public void Dispose() => _directory.Dispose();

    private static async Task RunRetentionRoundAsync(FasterRecordLog log, FakeTimeProvider time)
    {
        var rounds = log.RetentionRounds;
        time.Advance(Interval);
        var deadline = DateTime.UtcNow + Deadline;
        while (log.RetentionRounds <= rounds)
        {
            Assert.True(DateTime.UtcNow < deadline, "no retention round ran after the interval passed");
            await Task.Yield();
        }

        Assert.Null(log.RetentionFailure);
    }

    /// <summary>
    /// FasterLog deletes the files below a new begin once its epoch moves on, i.e. with the log's next operations: a
    /// running log appends; here one more append does it. Waits until fewer than <paramref name="atMost"/> + 1 remain.
    /// </summary>
    private async Task<string[]> SegmentsOnceFewerAsync(FasterRecordLog log, string topic, int atMost)
    {
        var deadline = DateTime.UtcNow + Deadline;
        while (true)
        {
            await log.AppendAsync(topic, Encoding.UTF8.GetBytes("device-1"), Encoding.UTF8.GetBytes("tick"));
            var segments = Segments(topic);
            if (segments.Length <= atMost)
            {
                return segments;
            }

            Assert.True(DateTime.UtcNow < deadline, $"{segments.Length} segment files still there, expected at most {atMost}");
            await Task.Delay(50);
        }
    }

    private string[] Segments(string topic) =>
        [.. Directory.GetFiles(Path.Combine(_directory.Path, topic, "0"), "log.*").Select(Path.GetFileName).Order(StringComparer.Ordinal)!];

    private static async Task<LogPosition[]> AppendAsync(FasterRecordLog log, string topic, int count)
    {
        var positions = new LogPosition[count];
        for (var i = 0; i < count; i++)
        {
            positions[i] = await log.AppendAsync(topic, Encoding.UTF8.GetBytes("device-1"), Encoding.UTF8.GetBytes($"{i:D6}" + new string('x', 190)));
        }

        return positions;
    }
}
