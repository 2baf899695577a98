using System.Text;
using System.Text.Json;
using Datacake.Streams.LoadGen.EndToEnd;

namespace Datacake.Streams.UnitTests.Bench.LoadGen;

public sealed class NumberedPayloadTemplateTests
{
    private const long BaseMs = 1_796_000_000_000;

    [Theory]
    [InlineData(0)]
    [InlineData(7)]
    [InlineData(99)]
    [InlineData(123_456_789)]
    [InlineData(NumberedPoint.ProbeSeq)]
    [InlineData(-300_001)] // the warm-up's numbers are negative
    [InlineData(-55)]
    public void The_fixed_width_payload_holds_the_values_of_the_numbered_point(long seq)
    {
        var payload = NumberedPayloadTemplate.Template.ToArray();
        NumberedPayloadTemplate.Write(payload, BaseMs, seq);

        using var written = JsonDocument.Parse(payload);
        using var expected = JsonDocument.Parse(NumberedPoint.MqttPayload(BaseMs, seq));
        Assert.Equal(Canonical(expected), Canonical(written));
    }

    [Fact]
    public void Every_number_leaves_the_length_unchanged()
    {
        var payload = NumberedPayloadTemplate.Template.ToArray();
        foreach (var seq in new long[] { 1, -1, 10_000_000_000, -10_000_000 })
        {
            NumberedPayloadTemplate.Write(payload, BaseMs, seq);
            Assert.Equal(NumberedPayloadTemplate.Length, payload.Length);
            using var _ = JsonDocument.Parse(payload);
        }
    }

    [Fact]
    public void A_number_wider_than_its_slot_is_refused()
    {
        var payload = NumberedPayloadTemplate.Template.ToArray();

        Assert.Throws<ArgumentOutOfRangeException>(() => NumberedPayloadTemplate.Write(payload, BaseMs, 100_000_000_000_000));
    }

    /// <summary>The document re-serialized without whitespace, numbers as parsed doubles: equal values, equal text.</summary>
    private static string Canonical(JsonDocument document)
    {
        var entry = document.RootElement[0];
        var text = new StringBuilder().Append(entry.GetProperty("time").GetInt64());
        foreach (var field in entry.GetProperty("values").EnumerateObject())
        {
            text.Append(';').Append(field.Name).Append('=').Append(field.Value.GetDouble().ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        return text.ToString();
    }
}
