using System.Globalization;
using System.Text.Json;
using CsCheck;
using Datacake.Streams.Api.Queries;

namespace Datacake.Streams.UnitTests.Api.Queries;

/// <summary>The series answer's fast point writer must write exactly what the serializer wrote before it, and read back.</summary>
public sealed class SeriesPointJsonConverterTests
{
    private static readonly JsonSerializerOptions s_withConverter = new(JsonSerializerOptions.Web) { Converters = { new SeriesPointJsonConverter() } };

    private static readonly Gen<JsonElement> s_value = Gen.OneOf(
        Gen.Double.Select(d => double.IsFinite(d) ? JsonElement.Parse(d.ToString("R", CultureInfo.InvariantCulture)) : JsonElement.Parse("null")),
        Gen.Long.Select(l => JsonElement.Parse(l.ToString(CultureInfo.InvariantCulture))),
        Gen.String.Select(s => JsonSerializer.SerializeToElement(s)),
        Gen.Bool.Select(b => JsonElement.Parse(b ? "true" : "false")),
        Gen.Const(JsonElement.Parse("null")));

    private static readonly Gen<SeriesPoint> s_point = Gen.Select(
        Gen.Long[0, 4_102_444_800_000L],
        Gen.Int[-14 * 60, 14 * 60],
        Gen.Select(Gen.String[1, 12], s_value).Array[0, 6]).Select((ms, offsetMinutes, values) =>
            new SeriesPoint(
                DateTimeOffset.FromUnixTimeMilliseconds(ms).ToOffset(TimeSpan.FromMinutes(offsetMinutes)),
                values.DistinctBy(v => v.Item1).ToDictionary(v => v.Item1, v => v.Item2, StringComparer.Ordinal)));

    [Fact]
    public void Writes_the_same_bytes_as_the_serializer_and_reads_them_back()
    {
        s_point.Array[0, 20].Sample(points =>
        {
            var answer = new SeriesAnswer("raw", false, [], points.FirstOrDefault()?.Time ?? default, default, "1m", "mean", [new DeviceSeries(new DeviceRef("dev_1", "Boiler \"1\" <é>"), ["a"], points)]);
            string expected = JsonSerializer.Serialize(answer, JsonSerializerOptions.Web);
            string written = JsonSerializer.Serialize(answer, s_withConverter);
            Assert.Equal(expected, written);

            SeriesAnswer back = JsonSerializer.Deserialize<SeriesAnswer>(written, s_withConverter)!;
            Assert.Equal(points.Length, back.Series[0].Points.Count);
            for (int i = 0; i < points.Length; i++)
            {
                Assert.Equal(points[i].Time, back.Series[0].Points[i].Time);
                Assert.Equal(points[i].Values.Keys.Order(StringComparer.Ordinal), back.Series[0].Points[i].Values.Keys.Order(StringComparer.Ordinal));
            }
        });
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("{\"values\":{}}")]
    [InlineData("{\"time\":\"not a time\",\"values\":{}}")]
    public void Malformed_points_are_json_errors(string json) =>
        Assert.ThrowsAny<JsonException>(() => JsonSerializer.Deserialize<SeriesPoint>(json, s_withConverter));
}
