using System.Text;
using CsCheck;
using Datacake.Streams.Ingest.Bridge;

namespace Datacake.Streams.UnitTests.Ingest.Bridge;

public class PayloadClassifierTests
{
    [Theory]
    [InlineData("""{"temperature":21.5}""", true)]
    [InlineData(""" {"env":{"t":1}} """ + "\n", true)]
    [InlineData("""[{"time":"2026-11-28T12:00:00Z","values":{"t":1}},{"values":{"t":2}}]""", true)]
    [InlineData("[]", true)]
    [InlineData("[1,2]", false)]
    [InlineData("""[{"t":1},3]""", false)]
    [InlineData("21.5", false)]
    [InlineData("\"text\"", false)]
    [InlineData("""{"t":1""", false)]
    [InlineData("""{"t":1}{"t":2}""", false)]
    [InlineData("""{"t":1} x""", false)]
    [InlineData("", false)]
    public void Json_values_are_told_from_other_bytes(string payload, bool isJson)
    {
        Assert.Equal(isJson, PayloadClassifier.IsJsonValues(Encoding.UTF8.GetBytes(payload)));
    }

    [Fact]
    public void Cayenne_lpp_bytes_are_raw()
    {
        // Channel 1 temperature 27.2 °C, channel 2 humidity 50 %.
        byte[] lpp = [0x01, 0x67, 0x01, 0x10, 0x02, 0x68, 0x64];
        Assert.False(PayloadClassifier.IsJsonValues(lpp));
    }

    [Fact]
    public void Any_bytes_are_classified_without_throwing()
    {
        Gen.OneOf(Gen.Byte.Array[0, 64], Gen.String.Select(s => Encoding.UTF8.GetBytes("{" + s)))
            .Sample(bytes => PayloadClassifier.IsJsonValues(bytes) || true);
    }
}
