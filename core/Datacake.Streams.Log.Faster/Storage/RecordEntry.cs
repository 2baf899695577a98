using System.Buffers.Binary;
using FASTER.core;

namespace Datacake.Streams.RecordLog.Faster.Storage;

/// <summary>
/// One record as FasterLog stores it: <c>[format:1][keyLength:4 LE][key][value]</c>, serialized straight into the
/// log's page so that an append copies the bytes once and allocates nothing.
/// </summary>
internal readonly struct RecordEntry(ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value) : ILogEnqueueEntry
{
    public const int Overhead = 5;

    private const byte Format = 1;

    public int SerializedLength => Overhead + key.Length + value.Length;

    public void SerializeTo(Span<byte> dest)
    {
        dest[0] = Format;
        BinaryPrimitives.WriteInt32LittleEndian(dest[1..], key.Length);
        key.Span.CopyTo(dest[Overhead..]);
        value.Span.CopyTo(dest[(Overhead + key.Length)..]);
    }

    /// <summary>Splits a stored entry (exactly its bytes) into key and value spans.</summary>
    public static bool TrySplit(ReadOnlySpan<byte> entry, out ReadOnlySpan<byte> key, out ReadOnlySpan<byte> value)
    {
        key = default;
        value = default;
        if (entry.Length < Overhead || entry[0] != Format)
        {
            return false;
        }

        var keyLength = BinaryPrimitives.ReadInt32LittleEndian(entry[1..]);
        if (keyLength < 0 || keyLength > entry.Length - Overhead)
        {
            return false;
        }

        key = entry.Slice(Overhead, keyLength);
        value = entry[(Overhead + keyLength)..];
        return true;
    }

    /// <summary>Splits a stored entry into key and value without copying.</summary>
    public static bool TryDecode(byte[] entry, int length, out ReadOnlyMemory<byte> key, out ReadOnlyMemory<byte> value)
    {
        key = default;
        value = default;
        if (length < Overhead || entry[0] != Format)
        {
            return false;
        }

        var keyLength = BinaryPrimitives.ReadInt32LittleEndian(entry.AsSpan(1));
        if (keyLength < 0 || keyLength > length - Overhead)
        {
            return false;
        }

        key = entry.AsMemory(Overhead, keyLength);
        value = entry.AsMemory(Overhead + keyLength, length - Overhead - keyLength);
        return true;
    }
}
