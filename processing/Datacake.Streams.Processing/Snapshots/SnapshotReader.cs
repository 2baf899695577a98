using System.Buffers.Binary;
using System.IO.Hashing;
using Datacake.Streams.Ids;

namespace Datacake.Streams.Processing.Snapshots;

/// <summary>
/// Reads a snapshot written by <see cref="SnapshotWriter"/>. Every read is bounds-checked and returns false
/// instead of throwing, so garbage of any shape ends as "corrupt", never as an exception.
/// </summary>
internal ref struct SnapshotReader
{
    private readonly ReadOnlySpan<byte> _body;
    private int _position;

    private SnapshotReader(ReadOnlySpan<byte> body)
    {
        _body = body;
        _position = 0;
    }

    public readonly int Remaining => _body.Length - _position;

    /// <summary>Checks the CRC-32 trailer; on success the reader covers the body only.</summary>
    public static bool TryOpen(ReadOnlySpan<byte> snapshot, out SnapshotReader reader)
    {
        reader = default;
        if (snapshot.Length < 4)
        {
            return false;
        }

        var body = snapshot[..^4];
        if (Crc32.HashToUInt32(body) != BinaryPrimitives.ReadUInt32LittleEndian(snapshot[^4..]))
        {
            return false;
        }

        reader = new SnapshotReader(body);
        return true;
    }

    public bool TryReadByte(out byte value)
    {
        value = 0;
        if (Remaining < 1)
        {
            return false;
        }

        value = _body[_position++];
        return true;
    }

    public bool TryReadUInt16(out ushort value)
    {
        value = 0;
        if (Remaining < 2)
        {
            return false;
        }

        value = BinaryPrimitives.ReadUInt16LittleEndian(_body[_position..]);
        _position += 2;
        return true;
    }

    public bool TryReadUInt32(out uint value)
    {
        value = 0;
        if (Remaining < 4)
        {
            return false;
        }

        value = BinaryPrimitives.ReadUInt32LittleEndian(_body[_position..]);
        _position += 4;
        return true;
    }

    public bool TryReadUInt64(out ulong value)
    {
        value = 0;
        if (Remaining < 8)
        {
            return false;
        }

        value = BinaryPrimitives.ReadUInt64LittleEndian(_body[_position..]);
        _position += 8;
        return true;
    }

    public bool TryReadInt64(out long value)
    {
        var ok = TryReadUInt64(out var raw);
        value = (long)raw;
        return ok;
    }

    public bool TryReadDevice(out DeviceId device)
    {
        device = default;
        if (Remaining < DeviceId.ByteLength)
        {
            return false;
        }

        device = DeviceId.FromBytes(_body.Slice(_position, DeviceId.ByteLength));
        _position += DeviceId.ByteLength;
        return true;
    }
}
