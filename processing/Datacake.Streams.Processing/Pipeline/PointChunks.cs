using System.Buffers;

namespace Datacake.Streams.Processing.Pipeline;

/// <summary>
/// Line protocol of many records in shared 64 KiB chunks: each record's lines end up as one slice of a chunk, so a
/// record costs no buffer of its own. A <see cref="RecordChunk"/> owns one per lane for its records' lines and
/// <see cref="Reset"/>s it when it is reused, that is once every batch holding those slices is committed; a chunk
/// that fills up is left to the slices that point into it (and the GC) and a new one started.
/// </summary>
internal sealed class PointChunks : IBufferWriter<byte>
{
    // Below the 85,000 B of the large object heap; 256 records of a 5-value point take ~38 KB.
    private const int ChunkSize = 64 * 1024;

    private byte[] _chunk = [];
    private int _start;
    private int _written;

    /// <summary>Bytes written since the last <see cref="Take"/> or <see cref="Discard"/>.</summary>
    public int Pending => _written - _start;

    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (_written + count > _chunk.Length)
        {
            throw new InvalidOperationException("Advanced past the end of the chunk.");
        }

        _written += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return _chunk.AsMemory(_written);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return _chunk.AsSpan(_written);
    }

    /// <summary>The bytes written since the last take, as a slice that stays valid.</summary>
    public ReadOnlyMemory<byte> Take()
    {
        var slice = _chunk.AsMemory(_start, _written - _start);
        _start = _written;
        return slice;
    }

    /// <summary>Bytes of the current chunk (what a pooled record chunk keeps).</summary>
    public int Capacity => _chunk.Length;

    /// <summary>Starts over at the beginning of the current chunk: only once no slice taken from it is in use.</summary>
    public void Reset()
    {
        _start = 0;
        _written = 0;
    }

    /// <summary>Forgets the bytes written since the last take (a failed decode).</summary>
    public void Discard() => _written = _start;

    /// <summary>Forgets the bytes written after <paramref name="pending"/> bytes of the current record.</summary>
    public void TruncateTo(int pending) => _written = _start + pending;

    private void Reserve(int sizeHint)
    {
        var needed = Math.Max(sizeHint, 1);
        if (_chunk.Length - _written >= needed)
        {
            return;
        }

        // Move the unfinished record to a fresh chunk so that its bytes stay contiguous.
        var pending = _written - _start;
        var next = new byte[Math.Max(ChunkSize, (pending + needed) * 2)];
        _chunk.AsSpan(_start, pending).CopyTo(next);
        _chunk = next;
        _start = 0;
        _written = pending;
    }
}
