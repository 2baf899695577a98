using System.Buffers;

namespace Datacake.Streams.Processing.Pipeline;

/// <summary>
/// Line protocol of many records in shared 64 KiB chunks: each record's lines end up as one slice of a chunk, so a
/// record costs no buffer of its own. A chunk is never reused (slices of it travel down the stream until written);
/// once every slice is gone the GC takes it, one allocation per ~500 points instead of one per record.
/// </summary>
internal sealed class PointChunks : IBufferWriter<byte>
{
    private const int ChunkSize = 64 * 1024;

    private byte[] _chunk = new byte[ChunkSize];
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
