using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Datacake.Streams.Access;

/// <summary>
/// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), the checksum of a token's random part.
/// Written here because System.IO.Hashing is not referenced by the domain.
/// </summary>
/// <remarks>
/// Slicing by 8: eight 256-entry tables (8 KiB) let eight bytes be folded in with eight independent lookups
/// instead of a chain of eight dependent ones; the 43 bytes of a token took ~70 ns byte by byte here.
/// Table <c>t</c> holds the CRC of a byte followed by <c>t</c> zero bytes.
/// </remarks>
internal static class Crc32
{
    private static readonly uint[] s_tables = BuildTables();

    /// <summary>CRC-32 of the ASCII characters of <paramref name="text"/> (callers have checked every char is ASCII).</summary>
    public static uint OfAscii(ReadOnlySpan<char> text)
    {
        ref uint table = ref MemoryMarshal.GetArrayDataReference(s_tables);
        var crc = 0xFFFFFFFFu;
        foreach (var c in text)
        {
            crc = Unsafe.Add(ref table, (byte)(crc ^ c)) ^ (crc >> 8);
        }

        return ~crc;
    }

    /// <summary>CRC-32 of <paramref name="bytes"/>.</summary>
    public static uint Of(ReadOnlySpan<byte> bytes)
    {
        ref uint table = ref MemoryMarshal.GetArrayDataReference(s_tables);
        var crc = 0xFFFFFFFFu;
        while (bytes.Length >= 8)
        {
            var one = BinaryPrimitives.ReadUInt32LittleEndian(bytes) ^ crc;
            var two = BinaryPrimitives.ReadUInt32LittleEndian(bytes[4..]);
            crc = Unsafe.Add(ref table, (7 * 256) + (int)(one & 0xFF))
                ^ Unsafe.Add(ref table, (6 * 256) + (int)((one >> 8) & 0xFF))
                ^ Unsafe.Add(ref table, (5 * 256) + (int)((one >> 16) & 0xFF))
                ^ Unsafe.Add(ref table, (4 * 256) + (int)(one >> 24))
                ^ Unsafe.Add(ref table, (3 * 256) + (int)(two & 0xFF))
                ^ Unsafe.Add(ref table, (2 * 256) + (int)((two >> 8) & 0xFF))
                ^ Unsafe.Add(ref table, 256 + (int)((two >> 16) & 0xFF))
                ^ Unsafe.Add(ref table, (int)(two >> 24));
            bytes = bytes[8..];
        }

        foreach (var b in bytes)
        {
            crc = Unsafe.Add(ref table, (byte)(crc ^ b)) ^ (crc >> 8);
        }

        return ~crc;
    }

    private static uint[] BuildTables()
    {
        var tables = new uint[8 * 256];
        for (uint n = 0; n < 256; n++)
        {
            var c = n;
            for (var k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            }

            tables[n] = c;
        }

        for (var t = 1; t < 8; t++)
        {
            for (var n = 0; n < 256; n++)
            {
                var previous = tables[((t - 1) * 256) + n];
                tables[(t * 256) + n] = (previous >> 8) ^ tables[(byte)previous];
            }
        }

        return tables;
    }
}
