using System.Buffers;

namespace Datacake.Streams.Access;

/// <summary>
/// Base62 (0-9, A-Z, a-z) digits: URL-safe, double-click selects the whole token, no padding characters.
/// Fixed-width encodings only, left-padded with '0', so a token's length says nothing about its value.
/// </summary>
internal static class Base62
{
    public const string Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    /// <summary>The digits as a vectorized set: checking a token's 43 characters is one SIMD scan.</summary>
    public static readonly SearchValues<char> Digits = SearchValues.Create(Alphabet);

    /// <summary>The digits as ASCII bytes, for text already narrowed from UTF-16.</summary>
    public static readonly SearchValues<byte> DigitBytes = SearchValues.Create("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"u8);

    // Digit value per ASCII code, -1 when the character is not a base62 digit.
    private static readonly sbyte[] _values = BuildValues();

    /// <summary>Value of <paramref name="c"/> as a base62 digit, or -1.</summary>
    public static int DigitValue(char c) => c < 128 ? _values[c] : -1;

    /// <summary>
    /// Writes the big-endian unsigned integer <paramref name="bytes"/> as exactly <paramref name="destination"/>.Length digits.
    /// Returns false when the value does not fit.
    /// </summary>
    public static bool TryEncodeFixed(ReadOnlySpan<byte> bytes, Span<char> destination)
    {
        // Long division by 62 over 32-bit limbs; at most 64 bytes are ever encoded here (tokens are 32).
        if (bytes.Length > 64)
        {
            return false;
        }

        Span<uint> limbs = stackalloc uint[(bytes.Length + 3) / 4];
        var padded = limbs.Length * 4 - bytes.Length;
        for (var i = 0; i < bytes.Length; i++)
        {
            var bytePosition = padded + i;
            limbs[bytePosition / 4] |= (uint)bytes[i] << (8 * (3 - (bytePosition % 4)));
        }

        for (var digit = destination.Length - 1; digit >= 0; digit--)
        {
            ulong remainder = 0;
            for (var i = 0; i < limbs.Length; i++)
            {
                var current = (remainder << 32) | limbs[i];
                limbs[i] = (uint)(current / 62);
                remainder = current % 62;
            }

            destination[digit] = Alphabet[(int)remainder];
        }

        foreach (var limb in limbs)
        {
            if (limb != 0)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Writes <paramref name="value"/> as exactly <paramref name="destination"/>.Length digits (caller sizes it).</summary>
    public static void EncodeFixed(ulong value, Span<char> destination)
    {
        for (var digit = destination.Length - 1; digit >= 0; digit--)
        {
            destination[digit] = Alphabet[(int)(value % 62)];
            value /= 62;
        }
    }

    /// <summary>Reads up to 10 digits as a number; false on a non-digit.</summary>
    public static bool TryDecodeSmall(ReadOnlySpan<char> digits, out ulong value)
    {
        value = 0;
        if (digits.Length > 10)
        {
            return false;
        }

        foreach (var c in digits)
        {
            var digit = DigitValue(c);
            if (digit < 0)
            {
                return false;
            }

            value = (value * 62) + (uint)digit;
        }

        return true;
    }

    /// <summary>Reads up to 10 ASCII digits already checked against <see cref="DigitBytes"/> as a number.</summary>
    public static ulong DecodeCheckedDigits(ReadOnlySpan<byte> digits)
    {
        ulong value = 0;
        foreach (var b in digits)
        {
            value = (value * 62) + (uint)_values[b & 0x7F];
        }

        return value;
    }

    private static sbyte[] BuildValues()
    {
        var values = new sbyte[128];
        values.AsSpan().Fill(-1);
        for (var i = 0; i < Alphabet.Length; i++)
        {
            values[Alphabet[i]] = (sbyte)i;
        }

        return values;
    }
}
