using System.Buffers;

namespace Datacake.Streams.Ingest.InfluxWrite;

/// <summary>
/// JSON values bodies (<c>[{"time":..,"values":{..}},..]</c>) written back to back into one pooled buffer, cut into
/// chunks that each become one raw record. A line being written can be taken back (<see cref="Mark"/>,
/// <see cref="Rewind"/>), so a refused line leaves no byte behind.
/// </summary>
internal sealed class JsonValuesChunks : IDisposable
{
    private readonly List<(int Start, int Length, int Entries)> _chunks = [];
    private byte[] _buffer;
    private int _length;
    private int _chunkStart = -1;
    private int _chunkEntries;

    public JsonValuesChunks(int initialBytes) => _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(4096, initialBytes));

    public int Count => _chunks.Count;

    public int OpenBytes => _chunkStart < 0 ? 0 : _length - _chunkStart;

    public int OpenEntries => _chunkEntries;

    public ReadOnlyMemory<byte> this[int index] => _buffer.AsMemory(_chunks[index].Start, _chunks[index].Length);

    public int EntriesOf(int index) => _chunks[index].Entries;

    public int Mark => _length;

    /// <summary>Takes back everything written since <paramref name="mark"/>, a chunk it opened included.</summary>
    public void Rewind(int mark)
    {
        _length = mark;
        if (_chunkStart >= mark)
        {
            _chunkStart = -1;
        }
    }

    /// <summary>Starts an entry: '[' opens a chunk, ',' continues one.</summary>
    public void BeginEntry()
    {
        if (_chunkStart < 0)
        {
            _chunkStart = _length;
            Append((byte)'[');
        }
        else
        {
            Append((byte)',');
        }
    }

    /// <summary>Counts an entry written since <see cref="BeginEntry"/>.</summary>
    public void EndEntry() => _chunkEntries++;

    /// <summary>Closes the open chunk, if any.</summary>
    public void CloseChunk()
    {
        if (_chunkStart < 0)
        {
            return;
        }

        if (_chunkEntries == 0)
        {
            _length = _chunkStart;
        }
        else
        {
            Append((byte)']');
            _chunks.Add((_chunkStart, _length - _chunkStart, _chunkEntries));
        }

        _chunkStart = -1;
        _chunkEntries = 0;
    }

    public void Append(byte b) => Reserve(1)[0] = b;

    public void Append(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(Reserve(bytes.Length));
    }

    /// <summary>Room for <paramref name="size"/> bytes at the end; <see cref="Advance"/> commits what was written.</summary>
    public Span<byte> Free(int size)
    {
        Grow(size);
        return _buffer.AsSpan(_length, size);
    }

    public void Advance(int written) => _length += written;

    /// <summary>The bytes written at <paramref name="start"/> (a <see cref="Mark"/>) for <paramref name="length"/>.</summary>
    public ReadOnlySpan<byte> Written(int start, int length) => _buffer.AsSpan(start, length);

    public void Dispose()
    {
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
    }

    private Span<byte> Reserve(int size)
    {
        Grow(size);
        var span = _buffer.AsSpan(_length, size);
        _length += size;
        return span;
    }

    private void Grow(int size)
    {
        if (_length + size <= _buffer.Length)
        {
            return;
        }

        var larger = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, _length + size));
        _buffer.AsSpan(0, _length).CopyTo(larger);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = larger;
    }
}
