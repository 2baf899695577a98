using System.Buffers;
using System.Buffers.Binary;
using System.IO.Hashing;
using Datacake.Streams.Ids;

namespace Datacake.Streams.Processing.Snapshots;

/// <summary>
/// Writes a little-endian snapshot body into a pooled buffer, then copies it to the caller's writer with a CRC-32
/// trailer so that a reader can refuse a torn or altered snapshot before it parses a single count.
/// </summary>
internal sealed class SnapshotWriter : IDisposable
{
    private byte[] _buffer;
    private int _written;

    public SnapshotWriter(int initialCapacity = 4096)
    {
        _buffer = ArrayPool<byte>.Shared.Rent(initialCapacity);
    }

    public void WriteUInt32(uint value) => BinaryPrimitives.WriteUInt32LittleEndian(Grow(4), value);

    public void WriteUInt64(ulong value) => BinaryPrimitives.WriteUInt64LittleEndian(Grow(8), value);

    public void WriteInt64(long value) => BinaryPrimitives.WriteInt64LittleEndian(Grow(8), value);

    public void WriteUInt16(ushort value) => BinaryPrimitives.WriteUInt16LittleEndian(Grow(2), value);

    public void WriteByte(byte value) => Grow(1)[0] = value;

    public void WriteDevice(DeviceId device) => device.WriteBytes(Grow(DeviceId.ByteLength));

    /// <summary>Copies body + CRC-32 of the body to <paramref name="destination"/>.</summary>
    public void CopyTo(IBufferWriter<byte> destination)
    {
        var body = _buffer.AsSpan(0, _written);
        var span = destination.GetSpan(body.Length + 4);
        body.CopyTo(span);
        BinaryPrimitives.WriteUInt32LittleEndian(span[body.Length..], Crc32.HashToUInt32(body));
        destination.Advance(body.Length + 4);
    }

    public void Dispose()
    {
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
    }

    private Span<byte> Grow(int size)
    {
        if (_written + size > _buffer.Length)
        {
            var larger = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, _written + size));
            _buffer.AsSpan(0, _written).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = larger;
        }

        var span = _buffer.AsSpan(_written, size);
        _written += size;
        return span;
    }
}
