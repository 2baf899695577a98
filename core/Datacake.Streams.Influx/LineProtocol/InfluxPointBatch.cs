using System.Buffers;

namespace Datacake.Streams.Influx.LineProtocol;

/// <summary>
/// Line-protocol points accumulated in one pooled buffer, ready for <see cref="Client.InfluxClient.WriteAsync"/>.
/// Reused across batches (<see cref="Clear"/> keeps the buffer), so steady-state encoding allocates nothing.
/// A line left unfinished by a <see cref="LineProtocolException"/> is never part of <see cref="Written"/> and
/// is overwritten by the next point: one bad reading does not poison the batch.
/// </summary>
public sealed class InfluxPointBatch : IBufferWriter<byte>, IDisposable
{
    // 5,000 points of ~120 bytes: start near the size a default batch reaches to avoid early regrowth.
    private const int InitialCapacity = 64 * 1024;

    private byte[] _buffer;
    private int _written;
    private int _lineStart;
    private bool _lineOpen;
    private bool _disposed;

    public InfluxPointBatch(int initialCapacity = InitialCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(initialCapacity);
        _buffer = ArrayPool<byte>.Shared.Rent(initialCapacity);
    }

    /// <summary>Complete points in the batch.</summary>
    public int PointCount { get; private set; }

    /// <summary>The complete lines, newline-terminated.</summary>
    public ReadOnlyMemory<byte> Written => _buffer.AsMemory(0, _lineOpen ? _lineStart : _written);

    /// <summary>A writer appending to this batch; start each point with <see cref="LineProtocolWriter.Measurement"/>.</summary>
    public LineProtocolWriter BeginPoint() => new(this);

    public void Clear()
    {
        _written = 0;
        _lineStart = 0;
        _lineOpen = false;
        PointCount = 0;
    }

    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (_written + count > _buffer.Length)
        {
            throw new InvalidOperationException("Advanced past the end of the buffer.");
        }

        _written += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return _buffer.AsMemory(_written);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return _buffer.AsSpan(_written);
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        byte[] buffer = _buffer;
        _buffer = [];
        Clear();
        ArrayPool<byte>.Shared.Return(buffer);
    }

    internal void OnLineStarted()
    {
        if (_lineOpen)
        {
            _written = _lineStart;
        }

        _lineStart = _written;
        _lineOpen = true;
    }

    internal void OnLineEnded()
    {
        _lineOpen = false;
        PointCount++;
    }

    private void Reserve(int sizeHint)
    {
        int needed = Math.Max(sizeHint, 1);
        if (_buffer.Length - _written >= needed)
        {
            return;
        }

        ObjectDisposedException.ThrowIf(_disposed, this);
        int newSize = Math.Max(_buffer.Length * 2, _written + needed);
        byte[] larger = ArrayPool<byte>.Shared.Rent(newSize);
        _buffer.AsSpan(0, _written).CopyTo(larger);
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
        }

        _buffer = larger;
    }
}
