using System.Globalization;
using System.Text;
using CsCheck;
using Datacake.Streams.Influx.LineProtocol;

namespace Datacake.Streams.UnitTests.Influx;

public sealed class DecimalDigitsTests
{
    [Fact]
    public void Writes_every_long_as_long_ToString_does()
    {
        Gen.OneOf(Gen.Long, Gen.Long[-1_000, 1_000], Gen.OneOf(long.MinValue, long.MaxValue, 0L, 9L, 10L, 99L, 100L, -1L, 999_999_999_999_999_999L, 1_000_000_000_000_000_000L))
            .Sample(value =>
            {
                Span<byte> buffer = stackalloc byte[24];
                int written = DecimalDigits.Write(value, buffer);
                Assert.Equal(value.ToString(CultureInfo.InvariantCulture), Encoding.ASCII.GetString(buffer[..written]));
            }, iter: 20_000);
    }

    [Fact]
    public void Counts_digits_at_every_power_of_ten_boundary()
    {
        ulong power = 1;
        for (int digits = 1; digits <= 20; digits++)
        {
            Assert.Equal(digits, DecimalDigits.CountDigits(power));
            if (digits < 20)
            {
                Assert.Equal(digits, DecimalDigits.CountDigits((power * 10) - 1));
                power *= 10;
            }
        }

        Assert.Equal(20, DecimalDigits.CountDigits(ulong.MaxValue));
        Assert.Equal(1, DecimalDigits.CountDigits(0));
    }

    [Fact]
    public void The_unchecked_writer_writes_the_same_bytes_as_the_checked_one()
    {
        // Every digit count from 1 to 19 equally often, the extremes, and their neighbours.
        Gen.OneOf(
                Gen.Long,
                Gen.Select(Gen.Int[0, 18], Gen.Int[-2, 2], Gen.Bool, (e, delta, negative) => ((long)Math.Pow(10, e) + delta) * (negative ? -1 : 1)),
                Gen.OneOf(0L, long.MinValue, long.MaxValue, long.MinValue + 1))
            .Sample(
                value =>
                {
                    byte[] checkedBytes = new byte[20];
                    byte[] uncheckedBytes = new byte[20];
                    int written = DecimalDigits.Write(value, checkedBytes);
                    Assert.Equal(written, DecimalDigits.Write(value, ref uncheckedBytes[0]));
                    Assert.Equal(checkedBytes, uncheckedBytes);
                },
                iter: 20_000);
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
