using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Datacake.Streams.Influx.LineProtocol;

/// <summary>
/// Shortest round-trip text of a finite double, the same as <c>double.ToString("R")</c> (what InfluxDB.Client
/// writes): the digits come from <see cref="ShortestDecimal"/>, the layout follows .NET's: fixed notation for decimal
/// exponents -5 &lt; e &lt; 17 (<c>0.0001</c>, <c>70150000000000000</c>), else <c>1E-05</c>, <c>1.2345678901234568E+17</c>.
/// One deliberate difference: for a few powers of two (2^-25, 2^-958) .NET writes a digit too few and its text reads
/// back as the neighbouring double; here the text always reads back as the value written.
/// </summary>
internal static class FloatFormatter
{
    /// <summary>Longest output: "-1.7976931348623157E+308", 24 bytes.</summary>
    public const int MaxLength = 24;

    private static readonly double[] s_powersOf10 = [1e0, 1e1, 1e2, 1e3, 1e4];

    /// <summary>Writes <paramref name="value"/> (finite) and returns the byte count; needs <see cref="MaxLength"/> bytes of room.</summary>
    public static int Format(double value, Span<byte> destination)
    {
        if (destination.Length < MaxLength)
        {
            ThrowTooSmall();
        }

        return Format(value, ref MemoryMarshal.GetReference(destination));
    }

    /// <summary>As <see cref="Format(double, Span{byte})"/>; the caller guarantees <see cref="MaxLength"/> bytes at <paramref name="destination"/>.</summary>
    internal static int Format(double value, ref byte destination)
    {
        ulong bits = BitConverter.DoubleToUInt64Bits(value);
        int sign = 0;
        if ((long)bits < 0)
        {
            destination = (byte)'-';
            sign = 1;
            bits &= long.MaxValue;
        }

        ref byte text = ref Unsafe.Add(ref destination, sign);
        if (bits == 0)
        {
            text = (byte)'0';
            return sign + 1;
        }

        if (!TryFewDecimals(BitConverter.UInt64BitsToDouble(bits), out ulong digits, out int exponent))
        {
            digits = ShortestDecimal.Find(bits, out exponent);
        }

        int count = DecimalDigits.CountDigits(digits);
        int scientific = count - 1 + exponent;
        int written = (uint)(scientific + 4) < 21u
            ? WriteFixed(digits, count, exponent, scientific, ref text)
            : WriteScientific(digits, count, scientific, ref text);
        return sign + written;
    }

    /// <summary>
    /// A reading such as 21.53 (1-4 decimals, below 10^11) found in 2-3 multiply-round steps: the smallest k for
    /// which some integer m has m / 10^k == value (both exact doubles, so the division rounds exactly like parsing
    /// "m·10^-k") gives the fewest significant digits. m &lt; 10^15 &lt; 2^50 keeps neighbouring candidates > 4 ulps
    /// apart, so m is unique. Measured side by side (FloatFormattingBenchmark): the general search costs ~1.5× this
    /// for such readings; values with more digits fall through to it after four cheap misses.
    /// </summary>
    private static bool TryFewDecimals(double magnitude, out ulong digits, out int exponent)
    {
        digits = 0;
        exponent = 0;
        if (magnitude is < 1e-4 or >= 1e11)
        {
            return false;
        }

        for (int k = 0; k < s_powersOf10.Length; k++)
        {
            double power = s_powersOf10[k];
            double scaled = magnitude * power;

            // The subtraction filters out candidates far from an integer before the ~15-cycle division decides.
            double mantissa = Math.Round(scaled);
            if (Math.Abs(scaled - mantissa) <= scaled * 1e-9 && mantissa / power == magnitude)
            {
                // Whole numbers (k = 0) may end in zeros: ShortestDecimal's integer path strips them.
                digits = (ulong)mantissa;
                exponent = -k;
                return k > 0;
            }
        }

        return false;
    }

    private static int WriteFixed(ulong digits, int count, int exponent, int scientific, ref byte text)
    {
        if (exponent >= 0)
        {
            // A whole number: its digits and the zeros the exponent stands for (at most 17 in all).
            DecimalDigits.WriteExactly(ref text, digits, count);
            Unsafe.InitBlockUnaligned(ref Unsafe.Add(ref text, count), (byte)'0', (uint)exponent);
            return count + exponent;
        }

        if (scientific >= 0)
        {
            // Digits one place to the right, then the integer part (1-17 digits, usually 1-3) back left over the
            // gap for the point: fewer bytes to move than the fraction in a typical reading.
            int integerDigits = scientific + 1;
            DecimalDigits.WriteExactly(ref Unsafe.Add(ref text, 1), digits, count);
            for (int i = 0; i < integerDigits; i++)
            {
                Unsafe.Add(ref text, i) = Unsafe.Add(ref text, i + 1);
            }

            Unsafe.Add(ref text, integerDigits) = (byte)'.';
            return count + 1;
        }

        // 0.000ddd: "0." and up to three zeros before the digits.
        int zeros = -scientific - 1;
        text = (byte)'0';
        Unsafe.Add(ref text, 1) = (byte)'.';
        Unsafe.InitBlockUnaligned(ref Unsafe.Add(ref text, 2), (byte)'0', (uint)zeros);
        DecimalDigits.WriteExactly(ref Unsafe.Add(ref text, 2 + zeros), digits, count);
        return 2 + zeros + count;
    }

    private static int WriteScientific(ulong digits, int count, int scientific, ref byte text)
    {
        // d.ddddE+XX: digits written one place right, the first moved left over the point's place.
        DecimalDigits.WriteExactly(ref Unsafe.Add(ref text, 1), digits, count);
        text = Unsafe.Add(ref text, 1);
        int position = 1;
        if (count > 1)
        {
            Unsafe.Add(ref text, 1) = (byte)'.';
            position = count + 1;
        }

        Unsafe.Add(ref text, position++) = (byte)'E';
        Unsafe.Add(ref text, position++) = scientific < 0 ? (byte)'-' : (byte)'+';
        uint magnitude = (uint)Math.Abs(scientific);

        // At least two exponent digits, as .NET writes them ("1E-05", "1E+300").
        int exponentDigits = magnitude >= 100 ? 3 : 2;
        DecimalDigits.WriteExactly(ref Unsafe.Add(ref text, position), magnitude, exponentDigits);
        return position + exponentDigits;
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void ThrowTooSmall() =>
        throw new ArgumentException($"The destination needs {MaxLength} bytes for any double.", "destination");
}
