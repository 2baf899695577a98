using System.Buffers;
using Datacake.Streams.Access;

namespace Datacake.Streams.Benchmarks.Access;

/// <summary>
/// Session 2's token format check (over chars, byte-by-byte CRC-32), kept only as the benchmark's baseline. Its
/// SHA-256 (BouncyCastle) went with the package (issue 15): compared at commit 3476695, docs/BENCHMARKS.md.
/// </summary>
internal static class PreviousTokenCheck
{
    private const string Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    private static readonly SearchValues<char> s_digits = SearchValues.Create(Alphabet);
    private static readonly uint[] s_crcTable = BuildCrcTable();
    private static readonly sbyte[] s_digitValues = BuildDigitValues();

    public static bool IsWellFormed(ReadOnlySpan<char> text)
    {
        if (!text.StartsWith(AccessToken.Prefix, StringComparison.Ordinal) || text.Length != AccessToken.TextLength)
        {
            return false;
        }

        var randomText = text.Slice(AccessToken.Prefix.Length, AccessToken.RandomTextLength);
        if (randomText.ContainsAnyExcept(s_digits))
        {
            return false;
        }

        ulong checksum = 0;
        foreach (var c in text[(AccessToken.Prefix.Length + AccessToken.RandomTextLength)..])
        {
            var digit = c < 128 ? s_digitValues[c] : -1;
            if (digit < 0)
            {
                return false;
            }

            checksum = (checksum * 62) + (uint)digit;
        }

        var crc = 0xFFFFFFFFu;
        foreach (var c in randomText)
        {
            crc = s_crcTable[(byte)(crc ^ c)] ^ (crc >> 8);
        }

        return checksum == ~crc;
    }

    private static sbyte[] BuildDigitValues()
    {
        var values = new sbyte[128];
        values.AsSpan().Fill(-1);
        for (var i = 0; i < Alphabet.Length; i++)
        {
            values[Alphabet[i]] = (sbyte)i;
        }

        return values;
    }

    private static uint[] BuildCrcTable()
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
