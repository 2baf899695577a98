using System.Text;
using Datacake.Streams.RecordLog;

namespace Datacake.Streams.IntegrationTests.Core.RecordLog;

/// <summary>
/// The behaviour every record log backend must show. Each backend derives a class that says how to
/// open (and re-open) a log over the same storage; the tests are the same for all of them.
/// </summary>
public abstract class RecordLogContract : IAsyncLifetime
{
    // Kafka group joins take ~3 s and rebalances ~5 s on the mock cluster: waits are generous, never fixed sleeps.
    protected static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    private readonly List<IRecordLog> _opened = [];

    /// <summary>A topic name no other test uses (the Kafka mock cluster is shared by the whole test run).</summary>
    protected string Topic { get; } = "contract." + Guid.NewGuid().ToString("N")[..12];

    /// <summary>Opens the log; a second call opens a new client over the same storage, as a restarted process would.</summary>
    protected abstract Task<IRecordLog> OpenAsync();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var log in _opened)
        {
            await log.DisposeAsync();
        }
    }

    protected async Task<IRecordLog> OpenTrackedAsync()
    {
        var log = await OpenAsync();
        _opened.Add(log);
        return log;
    }

    [Fact]
    public async Task Records_of_one_key_are_consumed_in_append_order()
    {
        var log = await OpenTrackedAsync();
        const int keys = 16, perKey = 200;
        for (var seq = 0; seq < perKey; seq++)
        {
            for (var k = 0; k < keys; k++)
            {
                await log.AppendAsync(Topic, Key(k), Value(k, seq));
            }
        }

        using var consumer = log.Subscribe(Topic, "order");
        var seen = ConsumeUntil(consumer, keys * perKey);

        var lastSeq = new Dictionary<int, int>();
        foreach (var (k, seq, _) in seen)
        {
            var previous = lastSeq.GetValueOrDefault(k, -1);
            Assert.True(seq == previous + 1, $"key {k}: got seq {seq} after {previous}");
            lastSeq[k] = seq;
        }

        Assert.Equal(keys, lastSeq.Count);
        Assert.All(lastSeq.Values, last => Assert.Equal(perKey - 1, last));
    }

    [Fact]
    public async Task A_restarted_member_resumes_after_the_committed_position()
    {
        var log = await OpenTrackedAsync();
        for (var seq = 0; seq < 100; seq++)
        {
            await log.AppendAsync(Topic, Key(7), Value(7, seq));
        }

        using (var first = log.Subscribe(Topic, "resume"))
        {
            var read = ConsumeUntil(first, 40);
            Assert.True(first.Commit(read[39].Position));

            // Commits only move forward: an older position must not rewind the group.
            first.Commit(read[10].Position);
        }

        var reopened = await OpenTrackedAsync();
        using var second = reopened.Subscribe(Topic, "resume");
        var rest = ConsumeUntil(second, 60);
        Assert.Equal(Enumerable.Range(40, 60), rest.Select(r => r.Seq));
        Assert.Null(second.Consume(TimeSpan.FromMilliseconds(500)));
    }

    [Fact]
    public async Task No_acknowledged_record_is_lost_across_a_consumer_and_log_restart()
    {
        var log = await OpenTrackedAsync();
        var acknowledged = new HashSet<(int, int)>();
        for (var seq = 0; seq < 300; seq++)
        {
            await log.AppendAsync(Topic, Key(seq % 5), Value(seq % 5, seq));
            acknowledged.Add((seq % 5, seq));
        }

        var done = new HashSet<(int, int)>();
        using (var consumer = log.Subscribe(Topic, "restart"))
        {
            // Consume part of the log, commit what was processed, then "crash" without committing the rest.
            foreach (var r in ConsumeUntil(consumer, 120))
            {
                done.Add((r.Key, r.Seq));
                consumer.Commit(r.Position);
            }
        }

        await log.DisposeAsync();
        _opened.Remove(log);

        var reopened = await OpenTrackedAsync();
        for (var seq = 300; seq < 400; seq++)
        {
            await reopened.AppendAsync(Topic, Key(seq % 5), Value(seq % 5, seq));
            acknowledged.Add((seq % 5, seq));
        }

        using var again = reopened.Subscribe(Topic, "restart");
        var remaining = acknowledged.Count - done.Count;
        foreach (var r in ConsumeUntil(again, remaining))
        {
            done.Add((r.Key, r.Seq));
        }

        Assert.Equal(acknowledged.Count, done.Count);
        Assert.True(acknowledged.SetEquals(done));
    }

    [Fact]
    public async Task Two_members_of_a_group_split_the_partitions()
    {
        var log = await OpenTrackedAsync();
        var partitions = log.PartitionCount(Topic);
        Assert.True(partitions >= 2, $"a contract log needs at least 2 partitions, has {partitions}");

        const int keys = 64, perKey = 10;
        using var a = log.Subscribe(Topic, "split");
        using var b = log.Subscribe(Topic, "split");

        var deadline = DateTime.UtcNow + Deadline;
        while (!(a.Assignment.Count > 0 && b.Assignment.Count > 0 && a.Assignment.Count + b.Assignment.Count == partitions))
        {
            Assert.True(DateTime.UtcNow < deadline, $"members did not split {partitions} partitions: a={a.Assignment.Count} b={b.Assignment.Count}");
            a.Consume(TimeSpan.FromMilliseconds(100));
            b.Consume(TimeSpan.FromMilliseconds(100));
        }

        Assert.Empty(a.Assignment.Intersect(b.Assignment));
        Assert.Equal(Enumerable.Range(0, partitions), a.Assignment.Concat(b.Assignment).Order());

        for (var seq = 0; seq < perKey; seq++)
        {
            for (var k = 0; k < keys; k++)
            {
                await log.AppendAsync(Topic, Key(k), Value(k, seq));
            }
        }

        var byA = new List<Read>();
        var byB = new List<Read>();
        deadline = DateTime.UtcNow + Deadline;
        while (byA.Count + byB.Count < keys * perKey)
        {
            Assert.True(DateTime.UtcNow < deadline, $"consumed {byA.Count + byB.Count} of {keys * perKey}");
            if (a.Consume(TimeSpan.FromMilliseconds(50)) is { } ra)
            {
                byA.Add(Parse(ra));
            }

            if (b.Consume(TimeSpan.FromMilliseconds(50)) is { } rb)
            {
                byB.Add(Parse(rb));
            }
        }

        Assert.NotEmpty(byA);
        Assert.NotEmpty(byB);
        Assert.All(byA, r => Assert.Contains(r.Position.Partition, a.Assignment));
        Assert.All(byB, r => Assert.Contains(r.Position.Partition, b.Assignment));
        Assert.Empty(byA.Select(r => r.Key).Intersect(byB.Select(r => r.Key)));
        Assert.Equal(keys * perKey, byA.Concat(byB).Select(r => (r.Key, r.Seq)).Distinct().Count());
    }

    protected readonly record struct Read(int Key, int Seq, LogPosition Position);

    protected static byte[] Key(int k) => Encoding.UTF8.GetBytes($"device-{k:D4}");

    protected static byte[] Value(int k, int seq) => Encoding.UTF8.GetBytes($"{k}:{seq}");

    protected static Read Parse(LogRecord record)
    {
        var text = Encoding.UTF8.GetString(record.Value.Span);
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        return new Read(int.Parse(text[..colon]), int.Parse(text[(colon + 1)..]), record.Position);
    }

    protected static List<Read> ConsumeUntil(IRecordLogConsumer consumer, int count)
    {
        var result = new List<Read>(count);
        var deadline = DateTime.UtcNow + Deadline;
        while (result.Count < count)
        {
            Assert.True(DateTime.UtcNow < deadline, $"consumed {result.Count} of {count} records before the deadline");
            if (consumer.Consume(TimeSpan.FromMilliseconds(200)) is { } record)
            {
                result.Add(Parse(record));
            }
        }

        return result;
    }
}
