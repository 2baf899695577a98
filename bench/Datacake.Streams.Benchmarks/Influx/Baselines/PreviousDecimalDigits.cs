using System.Numerics;
using System.Runtime.CompilerServices;

namespace Datacake.Streams.Benchmarks.Influx.Baselines;

/// <summary>
/// Session 2's integer writer, kept only as the benchmarks' baseline. Decimal digits of integers straight into UTF-8, two digits per step from a table. <c>long.TryFormat</c> goes
/// through culture and format dispatch first: ~15-20 ns for a 19-digit ns timestamp here against ~5 ns this way,
/// and every point has a timestamp and most have a float mantissa.
/// </summary>
internal static class PreviousDecimalDigits
{
    private static ReadOnlySpan<byte> Pairs =>
        "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"u8;

    private static ReadOnlySpan<ulong> PowersOf10 =>
    [
        1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000, 1_000_000_000, 10_000_000_000,
        100_000_000_000, 1_000_000_000_000, 10_000_000_000_000, 100_000_000_000_000, 1_000_000_000_000_000,
        10_000_000_000_000_000, 100_000_000_000_000_000, 1_000_000_000_000_000_000, 10_000_000_000_000_000_000,
    ];

    /// <summary>Writes <paramref name="value"/> with a leading '-' when negative; returns the byte count (≤ 20).</summary>
    public static int Write(long value, Span<byte> destination)
    {
        if (value >= 0)
        {
            return Write((ulong)value, destination);
        }

        destination[0] = (byte)'-';

        // Negating long.MinValue overflows back to itself; as ulong it is exactly 2^63, the right magnitude.
        return 1 + Write((ulong)-value, destination[1..]);
    }

    /// <summary>Writes <paramref name="value"/>; returns the byte count.</summary>
    public static int Write(ulong value, Span<byte> destination)
    {
        int count = CountDigits(value);
        if ((uint)count > (uint)destination.Length)
        {
            ThrowTooSmall();
        }

        ref byte pairs = ref Unsafe.AsRef(in Pairs[0]);
        int position = count;
        while (value >= 100)
        {
            ulong quotient = value / 100;
            int pair = (int)(value - (quotient * 100)) * 2;
            value = quotient;
            position -= 2;
            destination[position] = Unsafe.Add(ref pairs, pair);
            destination[position + 1] = Unsafe.Add(ref pairs, pair + 1);
        }

        if (value >= 10)
        {
            int pair = (int)value * 2;
            destination[0] = Unsafe.Add(ref pairs, pair);
            destination[1] = Unsafe.Add(ref pairs, pair + 1);
        }
        else
        {
            destination[0] = (byte)('0' + (int)value);
        }

        return count;
    }

    /// <summary>Number of decimal digits of <paramref name="value"/> (1 for 0).</summary>
    public static int CountDigits(ulong value)
    {
        // log10 from log2 (1233/4096 ≈ log10(2)), then one comparison corrects the estimate; 0 counts as 1 digit.
        value |= 1;
        int estimate = ((BitOperations.Log2(value) + 1) * 1233) >> 12;
        return estimate + (value >= PowersOf10[estimate] ? 1 : 0);
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void ThrowTooSmall() => throw new ArgumentException("The destination is too small for the digits.", "destination");
}
