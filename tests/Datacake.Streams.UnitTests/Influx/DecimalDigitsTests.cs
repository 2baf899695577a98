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
}
