using System.Diagnostics;
using System.Text;
using Datacake.Streams.Log.Kafka;
using Datacake.Streams.RecordLog;

namespace Datacake.Streams.IntegrationTests.Log.Kafka;

/// <summary>What the Kafka backend promises beyond the shared contract, against librdkafka's mock cluster.</summary>
[Collection(KafkaMockCluster.Collection)]
public sealed class KafkaRecordLogTests(KafkaMockCluster cluster)
{
    private static readonly TimeSpan _deadline = TimeSpan.FromSeconds(60);

    private readonly string _topic = "kafka." + Guid.NewGuid().ToString("N")[..12];

    [Fact]
    public async Task A_new_topic_gets_the_clusters_default_partitions()
    {
        await using var log = new KafkaRecordLog(cluster.LogOptions());

        Assert.Equal(KafkaMockCluster.DefaultPartitions, log.PartitionCount(_topic));
    }

    [Fact]
    public async Task The_partition_count_comes_from_the_brokers()
    {
        cluster.CreateTopic(_topic, partitions: 7);
        await using var log = new KafkaRecordLog(cluster.LogOptions());

        Assert.Equal(7, log.PartitionCount(_topic));
    }

    [Fact]
    public async Task Keys_are_placed_on_the_partition_the_Java_client_would_choose()
    {
        // 7: not a power of two, so a partitioner that only agrees on the low bits would show.
        cluster.CreateTopic(_topic, partitions: 7);
        await using var log = new KafkaRecordLog(cluster.LogOptions());
        var partitions = log.PartitionCount(_topic);
        Assert.Equal(7, partitions);

        var appends = Enumerable.Range(0, 64)
            .Select(i => Encoding.UTF8.GetBytes($"dev_{i:D4}"))
            .Select(async key => (Key: key, Position: await log.AppendAsync(_topic, key, "v"u8.ToArray())))
            .ToList();

        foreach (var (key, position) in await Task.WhenAll(appends))
        {
            Assert.Equal(JavaDefaultPartition(key, partitions), position.Partition);
        }
    }

    [Fact]
    public async Task Appended_positions_are_consecutive_per_partition()
    {
        await using var log = new KafkaRecordLog(cluster.LogOptions());
        var key = "dev_0001"u8.ToArray();

        var positions = new List<LogPosition>();
        for (var i = 0; i < 20; i++)
        {
            positions.Add(await log.AppendAsync(_topic, key, Encoding.UTF8.GetBytes($"value-{i}")));
        }

        Assert.Single(positions.Select(p => p.Partition).Distinct());
        Assert.Equal(Enumerable.Range(0, 20).Select(i => (long)i), positions.Select(p => p.Offset));
    }

    [Fact]
    public async Task A_consumed_record_carries_the_appended_key_value_and_position()
    {
        await using var log = new KafkaRecordLog(cluster.LogOptions());
        var key = "dev_0042"u8.ToArray();
        var value = Encoding.UTF8.GetBytes(new string('x', 200));
        var position = await log.AppendAsync(_topic, key, new ReadOnlyMemory<byte>(value, 0, 150));

        using var consumer = log.Subscribe(_topic, "carry");
        var record = ConsumeOne(consumer);

        Assert.Equal(_topic, record.Topic);
        Assert.Equal(position, record.Position);
        Assert.Equal(key, record.Key.ToArray());
        Assert.Equal(value[..150], record.Value.ToArray());
    }

    [Fact]
    public async Task Commit_refuses_partitions_this_member_does_not_own_or_has_not_read()
    {
        await using var log = new KafkaRecordLog(cluster.LogOptions());
        log.PartitionCount(_topic);
        using var consumer = log.Subscribe(_topic, "refuse");
        WaitForAssignment(consumer, KafkaMockCluster.DefaultPartitions);
        var written = await log.AppendAsync(_topic, "dev_0007"u8.ToArray(), "v"u8.ToArray());

        Assert.False(consumer.Commit(new LogPosition(KafkaMockCluster.DefaultPartitions + 3, 0)));
        Assert.False(consumer.Commit(written));

        var record = ConsumeOne(consumer);
        Assert.Equal(written, record.Position);
        Assert.True(consumer.Commit(record.Position));
    }

    [Fact]
    public async Task A_member_started_at_latest_skips_what_was_appended_before_it_joined()
    {
        await using var log = new KafkaRecordLog(cluster.LogOptions());
        var key = "dev_0003"u8.ToArray();
        await log.AppendAsync(_topic, key, "old"u8.ToArray());

        using var consumer = log.Subscribe(_topic, "latest", StartPosition.Latest);

        // The member settles on "latest" some time after it joins; append until it reads something. Whatever it
        // reads first must be newer than what was there before it joined.
        var deadline = DateTime.UtcNow + _deadline;
        LogRecord? first = null;
        for (var i = 0; first is null; i++)
        {
            Assert.True(DateTime.UtcNow < deadline, "the member read nothing before the deadline");
            await log.AppendAsync(_topic, key, Encoding.UTF8.GetBytes($"new-{i}"));
            first = consumer.Consume(TimeSpan.FromMilliseconds(200));
        }

        Assert.StartsWith("new-", Encoding.UTF8.GetString(first.Value.Span), StringComparison.Ordinal);
        Assert.True(first.Position.Offset > 0);
    }

    [Fact]
    public async Task The_mock_cluster_is_reachable()
    {
        await using var log = new KafkaRecordLog(cluster.LogOptions());

        Assert.True(await log.IsReachableAsync());
    }

    [Fact]
    public async Task An_append_to_unreachable_brokers_fails_as_unavailable_within_the_delivery_timeout()
    {
        // Port 1 (tcpmux) has no listener here: every connection is refused.
        var options = new KafkaRecordLogOptions
        {
            BootstrapServers = "127.0.0.1:1",
            DeliveryTimeout = TimeSpan.FromSeconds(2),
            ReachabilityTimeout = TimeSpan.FromSeconds(1),
            FlushTimeout = TimeSpan.FromSeconds(1),
        };
        await using var log = new KafkaRecordLog(options);

        var elapsed = Stopwatch.StartNew();
        await Assert.ThrowsAsync<RecordLogUnavailableException>(async () => await log.AppendAsync(_topic, "dev_0001"u8.ToArray(), "v"u8.ToArray()));
        Assert.InRange(elapsed.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(15));

        Assert.False(await log.IsReachableAsync());
    }

    [Fact]
    public async Task Disposal_fails_appends_still_waiting_instead_of_leaving_them_hanging()
    {
        var options = new KafkaRecordLogOptions
        {
            BootstrapServers = "127.0.0.1:1",
            DeliveryTimeout = TimeSpan.FromMinutes(5),
            FlushTimeout = TimeSpan.FromSeconds(1),
        };
        var log = new KafkaRecordLog(options);
        var append = log.AppendAsync(_topic, "dev_0001"u8.ToArray(), "v"u8.ToArray()).AsTask();

        await log.DisposeAsync();

        // Without the log failing it, the append would wait out the 5-minute delivery timeout, or forever.
        await Assert.ThrowsAsync<RecordLogUnavailableException>(() => append.WaitAsync(TimeSpan.FromSeconds(20)));
    }

    [Fact]
    public async Task A_record_larger_than_the_brokers_accept_is_an_argument_error()
    {
        await using var log = new KafkaRecordLog(cluster.LogOptions());

        // librdkafka's message.max.bytes defaults to 1,000,000.
        var huge = new byte[2_000_000];
        await Assert.ThrowsAsync<ArgumentException>(async () => await log.AppendAsync(_topic, "dev_0001"u8.ToArray(), huge));
    }

    [Fact]
    public async Task Appends_after_disposal_fail_as_unavailable()
    {
        var log = new KafkaRecordLog(cluster.LogOptions());
        await log.AppendAsync(_topic, "dev_0001"u8.ToArray(), "v"u8.ToArray());
        await log.DisposeAsync();

        await Assert.ThrowsAsync<RecordLogUnavailableException>(async () => await log.AppendAsync(_topic, "dev_0001"u8.ToArray(), "v"u8.ToArray()));
        Assert.False(await log.IsReachableAsync());
    }

    [Fact]
    public async Task A_cancelled_append_is_not_handed_to_the_producer()
    {
        await using var log = new KafkaRecordLog(cluster.LogOptions());
        var key = "dev_0009"u8.ToArray();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await log.AppendAsync(_topic, key, "cancelled"u8.ToArray(), new CancellationToken(canceled: true)));
        var position = await log.AppendAsync(_topic, key, "kept"u8.ToArray());

        Assert.Equal(0, position.Offset);
    }

    /// <summary>Kafka's Java default partitioner for keyed records: murmur2 of the key bytes, made positive, modulo partitions.</summary>
    private static int JavaDefaultPartition(ReadOnlySpan<byte> key, int partitions) =>
        (int)((Murmur2(key) & 0x7fffffff) % (uint)partitions);

    private static uint Murmur2(ReadOnlySpan<byte> data)
    {
        const uint M = 0x5bd1e995;
        const int R = 24;
        var h = 0x9747b28cu ^ (uint)data.Length;
        var blocks = data.Length / 4;
        for (var i = 0; i < blocks; i++)
        {
            var k = BitConverter.ToUInt32(data.Slice(i * 4, 4));
            k *= M;
            k ^= k >> R;
            k *= M;
            h *= M;
            h ^= k;
        }

        var tail = data[(blocks * 4)..];
        if (tail.Length == 3)
        {
            h ^= (uint)tail[2] << 16;
        }

        if (tail.Length >= 2)
        {
            h ^= (uint)tail[1] << 8;
        }

        if (tail.Length >= 1)
        {
            h ^= tail[0];
            h *= M;
        }

        h ^= h >> 13;
        h *= M;
        h ^= h >> 15;
        return h;
    }

    private static void WaitForAssignment(IRecordLogConsumer consumer, int partitions)
    {
        var deadline = DateTime.UtcNow + _deadline;
        while (consumer.Assignment.Count < partitions)
        {
            Assert.True(DateTime.UtcNow < deadline, $"the member got {consumer.Assignment.Count} of {partitions} partitions before the deadline");
            Assert.Null(consumer.Consume(TimeSpan.FromMilliseconds(100)));
        }
    }

    private static LogRecord ConsumeOne(IRecordLogConsumer consumer)
    {
        var deadline = DateTime.UtcNow + _deadline;
        while (true)
        {
            Assert.True(DateTime.UtcNow < deadline, "no record arrived before the deadline");
            if (consumer.Consume(TimeSpan.FromMilliseconds(200)) is { } record)
            {
                return record;
            }
        }
    }
}
