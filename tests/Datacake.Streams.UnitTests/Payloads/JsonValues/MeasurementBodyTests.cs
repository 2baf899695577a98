using System.Text;
using CsCheck;
using Datacake.Streams.Payloads.JsonValues;

namespace Datacake.Streams.UnitTests.Payloads.JsonValues;

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
    [InlineData("[{\"time\":\"1969-12-31T23:59:59Z\",\"values\":{\"t\":1}}]", MeasurementError.BadTime, "$[0].time")]
    [InlineData("[{\"time\":\"2026-11-28T10:00+01:00\",\"values\":{\"t\":1}}]", MeasurementError.BadTime, "$[0].time")]
    [InlineData("{\"t\":1,\"time\":\"2026-11-28 10:00:00\"}", MeasurementError.BadTime, "$.time")]
    [InlineData("{\"time\":1,\"t\":1,\"time\":2}", MeasurementError.UnknownMember, "$.time")]
    [InlineData("[{\"time\":1,\"time\":2,\"values\":{\"t\":1}}]", MeasurementError.UnknownMember, "$[0].time")]
    [InlineData("[{\"values\":{\"t\":1},\"values\":{\"t\":2}}]", MeasurementError.UnknownMember, "$[0].values")]
    [InlineData("{\"time\":1}", MeasurementError.WrongShape, "$")]
    [InlineData("{\"a\":{}}", MeasurementError.WrongShape, "$")]
    [InlineData("[{\"values\":{\"a\":{\"b\":{}}}}]", MeasurementError.WrongShape, "$[0].values")]
    [InlineData("{\"a\":{\"b\":{\"c\":[1]}}}", MeasurementError.TooDeep, "$.a.b.c")]
    [InlineData("{\"\\u0074\":1}", MeasurementError.BadFieldName, "$.\\u0074")]
    [InlineData("{\"s\":\"\\ud800\"}", MeasurementError.BadValue, "$.s")]
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

        // A plain object's top-level time is its point's time, not a field.
        Assert.Equal(1764324000000L * 1_000_000, MeasurementBody.Check("""{"t":1,"time":1764324000000}"""u8).DeviceTimeUnixNs);
    }

    [Fact]
    public void Hands_the_sink_each_point_with_flattened_names_in_body_order_and_its_own_time()
    {
        var sink = new RecordingSink([]);
        var check = MeasurementBody.Read("""
            [{"values":{"t":21.50,"env":{"h":40,"ok":true},"accel":[1,-2e1],"s":"a\u00e9"},"time":"2026-11-28T10:00:00.123456789Z"},
             {"values":{"t":1}}]
            """u8, sink);
        Assert.True(check.IsValid, check.ToString());
        Assert.Equal(
            [
                "begin", "t=21.50", "env.h=40", "env.ok=True", "accel.0=1", "accel.1=-2e1", "s=\"a\u00e9\"", "end 1795860000123456789",
                "begin", "t=1", "end none",
            ],
            sink.Events);
    }

    [Fact]
    public void Every_accepted_body_gives_its_sink_as_many_points_as_entries_and_fields_by_the_rules()
    {
        var name = Gen.String[Gen.Char["abcXYZ019_.-"], 1, 10];
        var value = Gen.OneOf(
            Gen.Double[-1e9, 1e9].Select(d => d.ToString("R", System.Globalization.CultureInfo.InvariantCulture)),
            Gen.Bool.Select(b => b ? "true" : "false"),
            Gen.String[Gen.Char.AlphaNumeric, 0, 20].Select(t => "\"" + t + "\""));
        var values = Gen.Dictionary(name, value)[1, 8].Select(d => "{" + string.Join(',', d.Select(p => $"\"{p.Key}\":{p.Value}")) + "}");
        var entry = Gen.Select(values, Gen.Long[0, 4_000_000_000_000], (v, ms) => $"{{\"time\":{ms},\"values\":{v}}}");
        entry.Array[1, 5].Sample(entries =>
        {
            var sink = new RecordingSink([]);
            var check = MeasurementBody.Read(Encoding.UTF8.GetBytes("[" + string.Join(',', entries) + "]"), sink);
            Assert.True(check.IsValid, check.ToString());
            Assert.Equal(entries.Length, check.Entries);
            Assert.Equal(entries.Length, sink.Events.Count(e => e == "begin"));
            Assert.Equal(entries.Length, sink.Events.Count(e => e.StartsWith("end ", StringComparison.Ordinal)));
            Assert.All(sink.Events.Where(e => e != "begin" && !e.StartsWith("end ", StringComparison.Ordinal)),
                field => Assert.True(Datacake.Streams.Payloads.Fields.FieldRules.IsValidName(field.AsSpan(0, field.IndexOf('=', StringComparison.Ordinal)))));
        }, iter: 2_000);
    }

    private readonly record struct RecordingSink(List<string> Events) : IMeasurementSink
    {
        public void BeginPoint() => Events.Add("begin");

        public void Number(ReadOnlySpan<char> field, ReadOnlySpan<byte> jsonNumber) => Events.Add($"{field}={Encoding.UTF8.GetString(jsonNumber)}");

        public void Boolean(ReadOnlySpan<char> field, bool value) => Events.Add($"{field}={value}");

        public void Text(ReadOnlySpan<char> field, ReadOnlySpan<char> value) => Events.Add($"{field}=\"{value}\"");

        public void EndPoint(long? timeUnixNs) => Events.Add($"end {timeUnixNs?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"}");
    }

    [Fact]
    [Trait("Reliability", "fuzzing")]
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
