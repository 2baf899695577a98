using System.Collections.Concurrent;

namespace Datacake.Streams.Processing.Pipeline;

/// <summary>
/// Chunks whose records were all committed, for the consumer thread to fill again (see <see cref="RecordChunk"/>).
/// Filled from the commit stage, emptied by the consumer thread.
/// </summary>
internal sealed class RecordChunkPool(int chunkCapacity, int maxKept)
{
    // A chunk whose records were unusually large grew its buffer: let the GC have that one rather than keep it.
    private const int MaxKeptBufferBytes = 1024 * 1024;

    private readonly ConcurrentQueue<RecordChunk> _free = new();
    private int _kept;

    /// <summary>An empty chunk of <paramref name="partition"/> and <paramref name="epoch"/>, reused when one is free.</summary>
    public RecordChunk Rent(int partition, long epoch)
    {
        if (_free.TryDequeue(out var chunk))
        {
            Interlocked.Decrement(ref _kept);
        }
        else
        {
            chunk = new RecordChunk(this, chunkCapacity);
        }

        chunk.Reuse(partition, epoch);
        return chunk;
    }

    public void Return(RecordChunk chunk)
    {
        if (chunk.BufferBytes > MaxKeptBufferBytes)
        {
            return;
        }

        if (Interlocked.Increment(ref _kept) > maxKept)
        {
            Interlocked.Decrement(ref _kept);
            return;
        }

        _free.Enqueue(chunk);
    }
}
