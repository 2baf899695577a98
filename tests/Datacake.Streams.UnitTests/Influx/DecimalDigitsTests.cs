using System.Globalization;
using System.Text;
using CsCheck;
using Datacake.Streams.Influx.LineProtocol;

namespace Datacake.Streams.UnitTests.Influx;

public sealed class DecimalDigitsTests
{
    // Every digit count from 1 to 19 equally often, the extremes, and their neighbours.
    private static readonly Gen<long> s_longs = Gen.OneOf(
        Gen.Long,
        Gen.Select(Gen.Int[0, 18], Gen.Int[-2, 2], Gen.Bool, (e, delta, negative) => ((long)Math.Pow(10, e) + delta) * (negative ? -1 : 1)),
        Gen.OneOf(0L, long.MinValue, long.MaxValue, long.MinValue + 1));

    [Fact]
    public void Writes_every_long_as_long_ToString()
    {
        s_longs.Sample(
            value =>
            {
                byte[] scratch = new byte[20];
                int written = DecimalDigits.Write(value, scratch);
                Assert.Equal(value.ToString(CultureInfo.InvariantCulture), Encoding.ASCII.GetString(scratch, 0, written));

                byte[] unchecked20 = new byte[20];
                Assert.Equal(written, DecimalDigits.Write(value, ref unchecked20[0]));
                Assert.Equal(scratch, unchecked20);
            },
            iter: 100_000);
    }

    [Fact]
    public void Writes_exactly_the_asked_width_with_leading_zeros()
    {
        byte[] scratch = new byte[20];
        DecimalDigits.WriteExactly(ref scratch[0], 5, 2);
        Assert.Equal("05", Encoding.ASCII.GetString(scratch, 0, 2));
        DecimalDigits.WriteExactly(ref scratch[0], 42, 9);
        Assert.Equal("000000042", Encoding.ASCII.GetString(scratch, 0, 9));
        DecimalDigits.WriteExactly(ref scratch[0], ulong.MaxValue, 20);
        Assert.Equal("18446744073709551615", Encoding.ASCII.GetString(scratch, 0, 20));
    }
}
