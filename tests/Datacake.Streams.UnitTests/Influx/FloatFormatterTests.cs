using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.RegularExpressions;
using CsCheck;
using Datacake.Streams.Influx.LineProtocol;

namespace Datacake.Streams.UnitTests.Influx;

public sealed partial class FloatFormatterTests
{
    // Sensor-like readings: a few digits with a few decimals, what devices send most.
    private static readonly Gen<double> s_decimalLike = Gen.Select(Gen.Long[-10_000_000_000, 10_000_000_000], Gen.Int[0, 18], (m, k) => m / Math.Pow(10, k));

    // Every bit pattern (subnormals, every exponent) with equal weight.
    private static readonly Gen<double> s_anyBits = Gen.ULong.Select(BitConverter.UInt64BitsToDouble).Where(double.IsFinite);

    private static readonly Gen<double> s_subnormal = Gen.Select(Gen.ULong[1, (1UL << 52) - 1], Gen.Bool, (bits, negative) => Signed(BitConverter.UInt64BitsToDouble(bits), negative));

    private static readonly Gen<double> s_integer = Gen.OneOf(
        Gen.Long[-(1L << 53), 1L << 53].Select(v => (double)v),
        Gen.Long.Select(v => (double)v),
        Gen.Int[0, 22].Select(e => Math.Pow(10, e)));

    // Powers of ten and of two (a power of two has the lopsided rounding interval), and their next few neighbours.
    private static readonly Gen<double> s_nearPowers = Gen.Select(
        Gen.OneOf(
            Gen.Int[-323, 308].Select(e => double.Parse("1e" + e.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture)),
            Gen.Int[-1074, 1023].Select(e => Math.ScaleB(1.0, e))),
        Gen.Int[-3, 3],
        Gen.Bool,
        (power, ulps, negative) => Signed(BitConverter.Int64BitsToDouble(BitConverter.DoubleToInt64Bits(power) + ulps), negative))
        .Where(d => double.IsFinite(d) && d != 0);

    private static readonly Gen<double> s_edges = Gen.OneOf(
        0.0, -0.0, 1e-4, 9.999999999999999e-5, 1e-5, 1e15, 1e16, 1e17, 99999999999999999.0, 999999999999999.9, 999999999999999.0, 0.1 + 0.2, 1.0 / 3,
        double.Epsilon, -double.Epsilon, double.MaxValue, double.MinValue, 2.2250738585072014E-308, 2.225073858507201E-308,
        9007199254740993.0, 5e-324, 1.7976931348623157e308, 4.9406564584124654e-324);

    private static readonly Gen<double> s_any = Gen.OneOf(s_anyBits, s_anyBits, s_subnormal, s_integer, s_nearPowers, s_decimalLike, s_edges);

    [Fact]
    public void A_million_doubles_round_trip_bitwise_in_InfluxDB_float_syntax_and_as_double_ToString_R()
    {
        s_any.Sample(
            value =>
            {
                // Per sample: CsCheck runs samples on several threads.
                byte[] scratch = new byte[FloatFormatter.MaxLength];
                string text = Encoding.ASCII.GetString(scratch, 0, FloatFormatter.Format(value, scratch));

                Assert.Equal(BitConverter.DoubleToInt64Bits(value), BitConverter.DoubleToInt64Bits(double.Parse(text, CultureInfo.InvariantCulture)));
                Assert.Matches(InfluxFloat(), text);

                // Byte-identical to .NET, hence to InfluxDB.Client's PointData (the line protocol reference tests),
                // wherever .NET's own text round-trips (see Writes_the_shortest_text_that_round_trips_where_NET_does_not).
                string net = value.ToString("R", CultureInfo.InvariantCulture);
                if (BitConverter.DoubleToInt64Bits(double.Parse(net, CultureInfo.InvariantCulture)) == BitConverter.DoubleToInt64Bits(value))
                {
                    Assert.Equal(net, text);
                }
            },
            iter: 1_000_000);
    }

    [Theory]
    [InlineData(0.05, "0.05")]
    [InlineData(-21.53, "-21.53")]
    [InlineData(21.0, "21")]
    [InlineData(-0.0, "-0")]
    [InlineData(1e-5, "1E-05")]
    [InlineData(0.0001, "0.0001")]
    [InlineData(1e15, "1000000000000000")]
    [InlineData(7.015e16, "70150000000000000")]
    [InlineData(1e17, "1E+17")]
    [InlineData(123456789012345678.0, "1.2345678901234568E+17")]
    [InlineData(123456789012345.6, "123456789012345.6")]
    [InlineData(1e22, "1E+22")]
    [InlineData(1e23, "1E+23")]
    [InlineData(5e-324, "5E-324")]
    [InlineData(double.MaxValue, "1.7976931348623157E+308")]
    [InlineData(double.MinValue, "-1.7976931348623157E+308")]
    public void Writes_known_values(double value, string expected)
    {
        byte[] scratch = new byte[FloatFormatter.MaxLength];
        Assert.Equal(expected, Encoding.ASCII.GetString(scratch, 0, FloatFormatter.Format(value, scratch)));
    }

    [Fact]
    public void Writes_the_shortest_text_that_round_trips_where_NET_does_not()
    {
        // For a few powers of two (2^-25, 2^-958 among the 2,046) .NET writes one digit fewer than needed: its
        // search treats the interval below a power of two as wide as the one above, which is twice as wide.
        // "2.980232238769531E-08" reads back as the double below 2^-25; InfluxDB would store that one.
        double value = Math.ScaleB(1.0, -25);
        string net = value.ToString("R", CultureInfo.InvariantCulture);
        Assert.NotEqual(value, double.Parse(net, CultureInfo.InvariantCulture));

        byte[] scratch = new byte[FloatFormatter.MaxLength];
        string ours = Encoding.ASCII.GetString(scratch, 0, FloatFormatter.Format(value, scratch));
        Assert.Equal("2.9802322387695312E-08", ours);
        Assert.Equal(value, double.Parse(ours, CultureInfo.InvariantCulture));
    }

    [Fact]
    public void The_decimal_exponent_estimates_are_exact_for_every_binary_exponent()
    {
        // Every exponent q of a double (subnormals share q = -1074); the lopsided interval exists from q = -1073 up.
        for (int q = -1074; q <= 971; q++)
        {
            Assert.Equal(LargestPowerOfTenAtMost(BigInteger.One, q), ShortestDecimal.FloorLog10Pow2(q));
            if (q > -1074)
            {
                Assert.Equal(LargestPowerOfTenAtMost(3, q - 2), ShortestDecimal.FloorLog10ThreeQuartersPow2(q));
            }
        }
    }

    // Largest k with 10^k ≤ m·2^e, exactly.
    private static int LargestPowerOfTenAtMost(BigInteger m, int e)
    {
        int k = (int)Math.Floor((BigInteger.Log10(m) + (e * Math.Log10(2))) - 1);
        while (PowerOfTenAtMost(k + 1, m, e))
        {
            k++;
        }

        Assert.True(PowerOfTenAtMost(k, m, e));
        return k;
    }

    private static bool PowerOfTenAtMost(int k, BigInteger m, int e)
    {
        // 10^k ≤ m·2^e with both sides scaled to integers.
        BigInteger left = k >= 0 ? BigInteger.Pow(10, k) : BigInteger.One;
        BigInteger right = k < 0 ? m * BigInteger.Pow(10, -k) : m;
        if (e >= 0)
        {
            right <<= e;
        }
        else
        {
            left <<= -e;
        }

        return left <= right;
    }

    private static double Signed(double magnitude, bool negative) => negative ? -magnitude : magnitude;

    // InfluxDB 1.x float field: optional minus, digits, optional fraction, optional exponent; no NaN or Inf.
    [GeneratedRegex(@"^-?[0-9]+(\.[0-9]+)?(E[+-][0-9]+)?$", RegexOptions.CultureInvariant)]
    private static partial Regex InfluxFloat();
}
