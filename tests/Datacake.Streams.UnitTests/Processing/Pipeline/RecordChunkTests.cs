using Datacake.Streams.Processing.Pipeline;
using Datacake.Streams.RecordLog;
using Datacake.Streams.Payloads.DeadLetters;

namespace Datacake.Streams.UnitTests.Processing.Pipeline;

/// <summary>Pooled chunks: the records' bytes live in the chunk, and a chunk is reused only after every holder let go.</summary>
public sealed class RecordChunkTests
{
    [Fact]
    public void A_pooled_chunk_copies_key_and_value_of_each_record()
    {
        var pool = new RecordChunkPool(chunkCapacity: 4, maxKept: 4);
        var chunk = pool.Rent(partition: 2, epoch: 7);
        var key = new byte[] { 1, 2, 3 };
        var value = new byte[] { 9, 8, 7, 6 };
        chunk.Add(new LogPosition(2, 100), 7, key, value);
        key[0] = 0;
        value[0] = 0;

        var record = chunk[0];
        Assert.Equal(new LogPosition(2, 100), record.Position);
        Assert.Equal(7, record.Epoch);
        Assert.Equal([1, 2, 3], record.Key.ToArray());
        Assert.Equal([9, 8, 7, 6], record.Value.ToArray());
        Assert.Throws<ArgumentException>(() => chunk.Add(new LogPosition(3, 101), 7, key, value));
        Assert.Throws<InvalidOperationException>(() => chunk.Add(record));
    }

    [Fact]
    public void A_chunk_returns_to_its_pool_only_when_the_stream_and_every_batch_released_it()
    {
        var pool = new RecordChunkPool(chunkCapacity: 4, maxKept: 4);
        var chunk = pool.Rent(0, 1);
        chunk.Add(new LogPosition(0, 1), 1, [1], [1]);
        chunk.Hold();
        chunk.Hold();

        chunk.Release();
        chunk.Release();
        Assert.NotSame(chunk, pool.Rent(0, 1));

        chunk.Release();
        var reused = pool.Rent(5, 9);
        Assert.Same(chunk, reused);
        Assert.Equal(0, reused.Count);
        Assert.Equal(5, reused.Partition);
        Assert.Equal(9, reused.Epoch);
    }

    [Fact]
    public void A_reused_chunk_reuses_its_records_with_the_new_bytes_and_no_old_state()
    {
        var pool = new RecordChunkPool(chunkCapacity: 2, maxKept: 1);
        var chunk = pool.Rent(0, 1);
        chunk.Add(new LogPosition(0, 1), 1, [1], [10]);
        var first = chunk[0];
        first.Reject(RejectReason.BadEnvelope, "bad");
        chunk.Release();

        var again = pool.Rent(0, 2);
        again.Add(new LogPosition(0, 50), 2, [2], [20, 21]);
        Assert.Same(first, again[0]);
        Assert.False(again[0].IsRejected);
        Assert.Null(again[0].Detail);
        Assert.Equal(new LogPosition(0, 50), again[0].Position);
        Assert.Equal([20, 21], again[0].Value.ToArray());
    }

    [Fact]
    public void Records_added_before_the_buffer_grew_keep_their_bytes()
    {
        var pool = new RecordChunkPool(chunkCapacity: 4, maxKept: 1);
        var chunk = pool.Rent(0, 1);
        var small = Enumerable.Range(0, 100).Select(i => (byte)i).ToArray();
        var large = new byte[200_000];
        Array.Fill(large, (byte)0xAB);
        chunk.Add(new LogPosition(0, 1), 1, [1], small);
        chunk.Add(new LogPosition(0, 2), 1, [2], large);
        chunk.Add(new LogPosition(0, 3), 1, [3], small);

        Assert.Equal(small, chunk[0].Value.ToArray());
        Assert.Equal(large, chunk[1].Value.ToArray());
        Assert.Equal(small, chunk[2].Value.ToArray());
    }

    [Fact]
    public void The_pool_keeps_at_most_its_limit_and_drops_oversized_buffers()
    {
        var pool = new RecordChunkPool(chunkCapacity: 2, maxKept: 1);
        var a = pool.Rent(0, 1);
        var b = pool.Rent(0, 1);
        a.Release();
        b.Release();
        Assert.Same(a, pool.Rent(0, 1));
        Assert.NotSame(b, pool.Rent(0, 1));

        var big = pool.Rent(0, 1);
        big.Add(new LogPosition(0, 1), 1, [1], new byte[2 * 1024 * 1024]);
        big.Release();
        Assert.NotSame(big, pool.Rent(0, 1));
    }
}
