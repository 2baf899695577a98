using System.Text;
using CsCheck;
using Datacake.Streams.Ingest.Measurements;

namespace Datacake.Streams.UnitTests.Ingest;

public sealed class MeasurementBodyTests
{
    private static readonly string[] _pieces = ["{", "}", "[", "]", ":", ",", "\"t\"", "\"values\"", "\"time\"", "1", "-0.5e3", "true", "null", "\"x\"", "\"\\u00", " "];

    [Theory]
    [InlineData("""{"temperature":21.5,"on":true}""", 1)]
    [InlineData("""{"label":"kitchen","env":{"t":1,"h":{"rel":40}},"accel":[0.1,-2,3e2]}""", 1)]
    [InlineData("""[{"time":"2026-11-28T10:00:00Z","values":{"t":1}},{"time":1764324000000,"values":{"t":2}}]""", 2)]
    [InlineData("""[{"values":{"t":1}}]""", 1)]
    [InlineData(""" { "a-b_c.d" : 1 } """, 1)]
    public void Accepts_the_documented_shapes(string body, int entries)
    {
        var check = MeasurementBody.Check(Encoding.UTF8.GetBytes(body));
        Assert.True(check.IsValid, check.Detail + " at " + check.Path);
        Assert.Equal(entries, check.Entries);
    }

    [Theory]
    [InlineData("", MeasurementError.MalformedJson, "$")]
    [InlineData("{\"t\":1", MeasurementError.MalformedJson, "$.t")]
    [InlineData("{\"t\":1} x", MeasurementError.MalformedJson, "$")]
    [InlineData("42", MeasurementError.WrongShape, "$")]
    [InlineData("{}", MeasurementError.WrongShape, "$")]
    [InlineData("[]", MeasurementError.WrongShape, "$")]
    [InlineData("{\"t\":null}", MeasurementError.BadValue, "$.t")]
    [InlineData("{\"bad name\":1}", MeasurementError.BadFieldName, "$.bad name")]
    [InlineData("{\"\":1}", MeasurementError.BadFieldName, "$.")]
    [InlineData("{\"a\":{\"b\":{\"c\":{\"d\":1}}}}", MeasurementError.TooDeep, "$.a.b.c")]
    [InlineData("{\"accel\":[1,\"x\"]}", MeasurementError.BadValue, "$.accel[1]")]
    [InlineData("[{\"values\":{\"t\":1}},{\"time\":\"2026-11-28T10:00:00\",\"values\":{\"t\":1}}]", MeasurementError.BadTime, "$[1].time")]
    [InlineData("[{\"values\":{\"t\":1},\"extra\":1}]", MeasurementError.UnknownMember, "$[0].extra")]
    [InlineData("[{\"time\":1}]", MeasurementError.WrongShape, "$[0]")]
    [InlineData("[{\"values\":{\"t\":1}},5]", MeasurementError.WrongShape, "$[1]")]
    [InlineData("[{\"time\":-1,\"values\":{\"t\":1}}]", MeasurementError.BadTime, "$[0].time")]
    [InlineData("{\"t\":1e999}", MeasurementError.BadValue, "$.t")]
    public void Refuses_with_the_offending_path(string body, MeasurementError error, string path)
    {
        var check = MeasurementBody.Check(Encoding.UTF8.GetBytes(body));
        Assert.False(check.IsValid);
        Assert.Equal(error, check.Error);
        Assert.Equal(path, check.Path);
    }

    [Fact]
    public void Limits_strings_fields_names_and_entries()
    {
        Assert.True(MeasurementBody.Check(Encoding.UTF8.GetBytes($$"""{"s":"{{new string('x', 1024)}}"}""")).IsValid);
        Assert.Equal(MeasurementError.BadValue, MeasurementBody.Check(Encoding.UTF8.GetBytes($$"""{"s":"{{new string('x', 1025)}}"}""")).Error);

        // Escapes shrink when unescaped: 1,024 escaped "\u0041" are 1,024 bytes, allowed.
        Assert.True(MeasurementBody.Check(Encoding.UTF8.GetBytes("{\"s\":\"" + string.Concat(Enumerable.Repeat("\\u0041", 1024)) + "\"}")).IsValid);

        var fields = string.Join(',', Enumerable.Range(0, 101).Select(i => $"\"f{i}\":1"));
        Assert.Equal(MeasurementError.TooManyFields, MeasurementBody.Check(Encoding.UTF8.GetBytes("{" + fields + "}")).Error);

        Assert.True(MeasurementBody.Check(Encoding.UTF8.GetBytes($$"""{"{{new string('a', 64)}}":1}""")).IsValid);
        Assert.Equal(MeasurementError.BadFieldName, MeasurementBody.Check(Encoding.UTF8.GetBytes("{\"" + new string('a', 40) + "\":{\"" + new string('b', 30) + "\":1}}")).Error);

        var entries = "[" + string.Join(',', Enumerable.Repeat("{\"values\":{\"t\":1}}", 11)) + "]";
        Assert.Equal(MeasurementError.TooManyEntries, MeasurementBody.Check(Encoding.UTF8.GetBytes(entries), maxEntries: 10).Error);
    }

    [Fact]
    public void Keeps_the_time_of_a_single_entry_only()
    {
        var one = MeasurementBody.Check("""[{"time":"2026-11-28T10:00:00.5+01:00","values":{"t":1}}]"""u8);
        Assert.Equal(DateTimeOffset.Parse("2026-11-28T09:00:00.5Z", System.Globalization.CultureInfo.InvariantCulture).ToUnixTimeMilliseconds() * 1_000_000, one.DeviceTimeUnixNs);
        Assert.Equal(1764324000000L * 1_000_000, MeasurementBody.Check("""[{"time":1764324000000,"values":{"t":1}}]"""u8).DeviceTimeUnixNs);
        Assert.Null(MeasurementBody.Check("""[{"time":1,"values":{"t":1}},{"time":2,"values":{"t":1}}]"""u8).DeviceTimeUnixNs);
        Assert.Null(MeasurementBody.Check("""{"t":1}"""u8).DeviceTimeUnixNs);
    }

    [Fact]
    public void Never_throws_on_arbitrary_bytes()
    {
        Gen.Byte.Array[0, 300].Sample(bytes =>
        {
            var check = MeasurementBody.Check(bytes);
            Assert.True(check.IsValid || check.Path is not null);
        }, iter: 20_000);
    }

    [Fact]
    public void Never_throws_on_json_like_text()
    {
        var token = Gen.Int[0, _pieces.Length - 1].Select(i => _pieces[i]);
        token.Array[0, 40].Select(string.Concat).Sample(text =>
        {
            var check = MeasurementBody.Check(Encoding.UTF8.GetBytes(text));
            Assert.True(check.IsValid || check.Path is not null);
        }, iter: 20_000);
    }
}
