namespace Datacake.Streams.Access;

/// <summary>
/// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), the checksum of a token's random part.
/// Written here because System.IO.Hashing is not referenced by the domain; 256 table entries, 1 KiB.
/// </summary>
internal static class Crc32
{
    private static readonly uint[] _table = BuildTable();

    /// <summary>CRC-32 of the ASCII characters of <paramref name="text"/> (callers have checked every char is ASCII).</summary>
    public static uint OfAscii(ReadOnlySpan<char> text)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var c in text)
        {
            crc = _table[(byte)(crc ^ c)] ^ (crc >> 8);
        }

        return ~crc;
    }

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            var c = n;
            for (var k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            }

            table[n] = c;
        }

        return table;
    }
}
