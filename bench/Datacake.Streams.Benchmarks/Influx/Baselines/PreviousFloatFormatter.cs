using System.Globalization;

namespace Datacake.Streams.Benchmarks.Influx.Baselines;

/// <summary>
/// Session 2's formatter, kept only as the benchmarks' baseline. Shortest round-trip formatting of doubles, byte-identical to <c>double.TryFormat</c> (what InfluxDB.Client
/// writes), with a fast path for sensor-like values. .NET's general shortest-digits search costs ~50-100 ns a
/// value here, more than the rest of a 5-field point together; a reading such as 21.53 is found in 2-3
/// multiply/divide steps instead.
/// </summary>
internal static class PreviousFloatFormatter
{
    // .NET writes fixed notation for decimal exponents -5 < e < 15; outside, "1E-05" or "1E+15": left to TryFormat.
    private const double FixedLow = 1e-4;
    private const double FixedHigh = 1e15;

    private static readonly double[] s_powersOf10 =
    [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18,
    ];

    /// <summary>Writes <paramref name="value"/> (finite) and returns the byte count; needs 32 bytes of room.</summary>
    public static int Format(double value, Span<byte> destination)
    {
        double magnitude = Math.Abs(value);
        if (magnitude is >= FixedLow and < FixedHigh)
        {
            // The smallest k for which some integer m has m / 10^k == value (both exact doubles, so the division is
            // correctly rounded exactly like parsing "m·10^-k") gives the fewest significant digits, i.e. the
            // shortest round-trip text. m < 10^15 < 2^50 keeps neighbouring candidates > 4 ulps apart, so m is unique
            // and the product's rounding error (< 1/8) cannot pick the wrong one.
            for (int k = 0; k < s_powersOf10.Length; k++)
            {
                double scaled = magnitude * s_powersOf10[k];
                if (scaled >= FixedHigh)
                {
                    break;
                }

                // The subtraction filters out candidates far from an integer before the ~15-cycle division decides:
                // a true match is within a few ulps (relative 2^-50) of its integer, far inside 1e-9.
                double mantissa = Math.Round(scaled);
                if (Math.Abs(scaled - mantissa) <= scaled * 1e-9 && mantissa / s_powersOf10[k] == magnitude)
                {
                    return WriteFixed(value < 0, (long)mantissa, k, destination);
                }
            }
        }

        value.TryFormat(destination, out int written, default, NumberFormatInfo.InvariantInfo);
        return written;
    }

    private static int WriteFixed(bool negative, long mantissa, int decimals, Span<byte> destination)
    {
        int position = 0;
        if (negative)
        {
            destination[position++] = (byte)'-';
        }

        // Digits go straight into the destination; the decimal point is then opened up with an overlapping
        // (memmove-safe) copy instead of formatting into a scratch buffer first.
        int count = PreviousDecimalDigits.Write((ulong)mantissa, destination[position..]);
        if (decimals == 0)
        {
            return position + count;
        }

        int integerDigits = count - decimals;
        if (integerDigits > 0)
        {
            int point = position + integerDigits;
            destination.Slice(point, decimals).CopyTo(destination[(point + 1)..]);
            destination[point] = (byte)'.';
            return position + count + 1;
        }

        // 0.00ddd: "0." and -integerDigits zeros in front of the digits.
        int shift = 2 - integerDigits;
        destination.Slice(position, count).CopyTo(destination[(position + shift)..]);
        destination[position] = (byte)'0';
        destination[position + 1] = (byte)'.';
        destination.Slice(position + 2, -integerDigits).Fill((byte)'0');
        return position + shift + count;
    }
}
