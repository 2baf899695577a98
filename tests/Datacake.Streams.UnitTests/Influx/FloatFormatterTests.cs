using System.Globalization;
using System.Text;
using CsCheck;
using Datacake.Streams.Influx.LineProtocol;

namespace Datacake.Streams.UnitTests.Influx;

public sealed class FloatFormatterTests
{
    // Sensor-like readings: a few digits with a few decimals, the fast path's target.
    private static readonly Gen<double> s_decimalLike = Gen.Select(Gen.Long[-10_000_000_000, 10_000_000_000], Gen.Int[0, 18], (m, k) => m / Math.Pow(10, k));

    private static readonly Gen<double> s_any = Gen.OneOf(
        Gen.Double.Where(double.IsFinite),
        s_decimalLike,
        Gen.Double[-1e16, 1e16],
        Gen.Double[-1e-3, 1e-3],
        Gen.OneOf(0.0, -0.0, 1e-4, 9.999999999999999e-5, 1e15, 999999999999999.9, 999999999999999.0, 0.1 + 0.2, 1.0 / 3, double.Epsilon));

    [Fact]
    public void Writes_the_same_text_as_double_ToString_R()
    {
        s_any.Sample(
            value =>
            {
                // Per sample: CsCheck runs samples on several threads.
                byte[] scratch = new byte[32];
                int written = FloatFormatter.Format(value, scratch);
                Assert.Equal(value.ToString("R", CultureInfo.InvariantCulture), Encoding.ASCII.GetString(scratch, 0, written));
            },
            iter: 200_000);
        byte[] scratch = new byte[32];
        Assert.Equal("0.05", Encoding.ASCII.GetString(scratch, 0, FloatFormatter.Format(0.05, scratch)));
        Assert.Equal("-21.53", Encoding.ASCII.GetString(scratch, 0, FloatFormatter.Format(-21.53, scratch)));
    }
}
