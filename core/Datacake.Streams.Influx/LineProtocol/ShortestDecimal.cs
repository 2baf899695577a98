using System.Numerics;
using System.Runtime.CompilerServices;

namespace Datacake.Streams.Influx.LineProtocol;

/// <summary>
/// The shortest decimal <c>digits · 10^exponent</c> that parses back to a given double, and of several such the one
/// closest to it (ties to even digits): Giulietti's Schubfach method. .NET's own search (Grisu with a Dragon4
/// fallback) took ~90 ns a value on this machine; this takes three 64×128-bit products and a few comparisons.
/// </summary>
/// <remarks>
/// A double is <c>c·2^q</c>; every real in its rounding interval (half an ulp either side, a quarter below for a
/// power of two whose lower neighbour is closer) parses back to it. With <c>k = ⌊log10 2^q⌋</c> the interval is at
/// least <c>10^k</c> wide and under <c>10^(k+1)</c>: it holds one or two multiples of <c>10^k</c> next to
/// <c>v·10^-k</c> and at most one multiple of <c>10^(k+1)</c>; if that one exists it is the shortest. All tests are
/// made on <c>4·v·10^-k</c> (quarters keep the interval ends integral) computed from a 126-bit upper approximation of
/// <c>10^-k</c> and rounded to odd: an odd result means "not exact", so comparing it with an even number
/// (4·candidate) gives the same answer as the exact value would.
/// </remarks>
internal static class ShortestDecimal
{
    private const int SignificandBits = 52;
    private const int ExponentBias = 1075;
    private const ulong HiddenBit = 1UL << SignificandBits;
    private const ulong FractionMask = HiddenBit - 1;

    // Decimal scale exponents -k needed: k runs from ⌊log10(¾·2^-1074)⌋ = -324 up to ⌊log10 2^971⌋ = 292.
    private const int MinScale = -292;
    private const int MaxScale = 325;

    private static readonly ScalePower[] s_scales = BuildScales();

    /// <summary>
    /// Shortest digits (no trailing zeros) and decimal exponent of the positive finite double whose bits are
    /// <paramref name="bits"/> (sign bit clear, not zero).
    /// </summary>
    public static ulong Find(ulong bits, out int exponent)
    {
        int biased = (int)(bits >> SignificandBits);
        ulong fraction = bits & FractionMask;
        ulong digits;
        if (biased == 0)
        {
            digits = Schubfach(fraction, 1 - ExponentBias, symmetric: true, out exponent);
        }
        else
        {
            ulong c = fraction | HiddenBit;
            int q = biased - ExponentBias;

            // Integers up to 2^53 are exact, their neighbours at most one apart: the integer itself is shortest.
            // Whole-number readings (a count, a percentage) skip the search.
            if (q is <= 0 and >= -SignificandBits && (c & ((1UL << -q) - 1)) == 0)
            {
                exponent = 0;
                digits = c >> -q;
            }
            else
            {
                // The smallest normal's lower neighbour is the largest subnormal, one ulp away as usual.
                digits = Schubfach(c, q, symmetric: fraction != 0 || biased == 1, out exponent);
            }
        }

        return RemoveTrailingZeros(digits, ref exponent);
    }

    /// <summary>⌊log10 2^q⌋, exact for every exponent a double has (checked exhaustively by a test).</summary>
    internal static int FloorLog10Pow2(int q) => (q * 1_262_611) >> 22;

    /// <summary>⌊log10 (¾·2^q)⌋, exact for every exponent a double has.</summary>
    internal static int FloorLog10ThreeQuartersPow2(int q) => ((q * 1_262_611) - 524_031) >> 22;

    private static ulong Schubfach(ulong c, int q, bool symmetric, out int k)
    {
        ulong cb = c << 2;
        ulong cbr = cb + 2;
        ulong cbl;
        if (symmetric)
        {
            cbl = cb - 2;
            k = FloorLog10Pow2(q);
        }
        else
        {
            cbl = cb - 1;
            k = FloorLog10ThreeQuartersPow2(q);
        }

        ref readonly ScalePower scale = ref s_scales[-k - MinScale];

        // 10^-k = g·2^(binaryExponent-125); shifting the operand by h makes each product 4·x·10^-k · 2^127.
        int h = q + scale.BinaryExponent + 2;
        ulong vb = ScaleRoundedToOdd(scale, cb << h);
        ulong vbl = ScaleRoundedToOdd(scale, cbl << h);
        ulong vbr = ScaleRoundedToOdd(scale, cbr << h);

        // An odd significand's interval is open: its ends round to the even neighbours, not to it.
        ulong open = c & 1;
        ulong s = vb >> 2;

        // One digit fewer needs a nonzero multiple of ten (a subnormal's s can be as small as 4).
        if (s >= 10)
        {
            ulong shorter = s / 10 * 10;
            bool lowerIn = vbl + open <= shorter << 2;
            bool upperIn = ((shorter + 10) << 2) + open <= vbr;
            if (lowerIn != upperIn)
            {
                return lowerIn ? shorter : shorter + 10;
            }
        }

        bool sIn = vbl + open <= s << 2;
        bool nextIn = ((s + 1) << 2) + open <= vbr;
        if (sIn != nextIn)
        {
            return sIn ? s : s + 1;
        }

        // Both in: the closer one, the even one on a tie (vb is exact then, 4s + 2).
        ulong middle = (s << 2) + 2;
        return vb < middle || (vb == middle && (s & 1) == 0) ? s : s + 1;
    }

    /// <summary>
    /// ⌊g·operand / 2^127⌋ with its lowest bit set when bits 64-126 of the product are not all zero. The bits below
    /// 2^64 are ignored on purpose: g exceeds the true power by less than one unit, so they hold the approximation's
    /// error (operand &lt; 2^61), not information; counting them would make an exact boundary such as 3.323E+21
    /// (the lower end of its double's interval) look inexact and cost the shorter digits.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong ScaleRoundedToOdd(in ScalePower g, ulong operand)
    {
        ulong lowHigh = Math.BigMul(g.Low, operand, out _);
        ulong highHigh = Math.BigMul(g.High, operand, out ulong highLow);
        ulong middle = highLow + lowHigh;
        ulong top = highHigh + (middle < highLow ? 1UL : 0UL);
        ulong quotient = (top << 1) | (middle >> 63);
        ulong inexact = (middle << 1) != 0 ? 1UL : 0UL;
        return quotient | inexact;
    }

    private static ulong RemoveTrailingZeros(ulong digits, ref int exponent)
    {
        // Divisions by constants compile to multiplications; 8 + 4 + 2 + 1 covers the up to 16 zeros of "1E+22".
        while (digits % 100_000_000 == 0)
        {
            digits /= 100_000_000;
            exponent += 8;
        }

        if (digits % 10_000 == 0)
        {
            digits /= 10_000;
            exponent += 4;
        }

        if (digits % 100 == 0)
        {
            digits /= 100;
            exponent += 2;
        }

        if (digits % 10 == 0)
        {
            digits /= 10;
            exponent++;
        }

        return digits;
    }

    /// <summary>g = ⌊10^scale · 2^(125 - e)⌋ + 1 with e = ⌊log2 10^scale⌋, so 2^125 &lt; g ≤ 2^126: never below the true power.</summary>
    private static ScalePower[] BuildScales()
    {
        var scales = new ScalePower[MaxScale - MinScale + 1];
        BigInteger mask = ulong.MaxValue;
        for (int scale = MinScale; scale <= MaxScale; scale++)
        {
            BigInteger g;
            int binaryExponent;
            if (scale >= 0)
            {
                BigInteger power = BigInteger.Pow(10, scale);
                binaryExponent = (int)power.GetBitLength() - 1;
                int shift = 125 - binaryExponent;
                g = shift >= 0 ? power << shift : power >> -shift;
            }
            else
            {
                // 10^scale = 1/d with d = 10^-scale not a power of two: 2^-bits(d) < 1/d < 2^-(bits(d)-1).
                BigInteger divisor = BigInteger.Pow(10, -scale);
                int bits = (int)divisor.GetBitLength();
                binaryExponent = -bits;
                g = (BigInteger.One << (125 + bits)) / divisor;
            }

            g += 1;
            scales[scale - MinScale] = new ScalePower((ulong)(g >> 64), (ulong)(g & mask), binaryExponent);
        }

        return scales;
    }

    private readonly struct ScalePower(ulong high, ulong low, int binaryExponent)
    {
        public readonly ulong High = high;
        public readonly ulong Low = low;
        public readonly int BinaryExponent = binaryExponent;
    }
}
