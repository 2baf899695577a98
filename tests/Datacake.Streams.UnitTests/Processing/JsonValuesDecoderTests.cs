using System.Globalization;
using System.Text;
using CsCheck;
using Datacake.Streams.Ids;
using Datacake.Streams.Payloads.JsonValues;
using Datacake.Streams.Processing.Pipeline;
using Datacake.Streams.Processing.Values;
using Datacake.Streams.Payloads.DeadLetters;

namespace Datacake.Streams.UnitTests.Processing;

public sealed class JsonValuesDecoderTests
{
    private static readonly DeviceId s_device = DeviceId.New();

    private static (Verdict Verdict, string[] Lines) Decode(string json, long? deviceTimeNs = null)
    {
        var points = new RecordPoints();
        points.Reset(s_device);
        var verdict = JsonValuesDecoder.Decode(ProcessingRecords.Json(s_device, json, deviceTimeNs: deviceTimeNs), points);
        var (values, _) = points.Take();
        return (verdict, Encoding.UTF8.GetString(values.Span).Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void An_object_becomes_one_point_with_float_bool_string_nested_and_indexed_fields_at_the_receive_time()
    {
        var (verdict, lines) = Decode("""{"t":21,"ok":true,"s":"a b","env":{"h":{"x":1.5}},"accel":[1,2]}""");
        Assert.True(verdict.IsAccepted, verdict.Detail);
        Assert.Equal([$"{s_device},device={s_device} t=21,ok=true,s=\"a b\",env.h.x=1.5,accel.0=1,accel.1=2 {ProcessingRecords.Ns(ProcessingRecords.Now)}"], lines);
    }

    [Fact]
    public void Time_comes_from_the_entry_then_the_device_then_the_receive_time()
    {
        var deviceTime = ProcessingRecords.Ns(ProcessingRecords.Now.AddMinutes(-1));
        Assert.EndsWith($" {deviceTime}", Decode("""{"t":1}""", deviceTime).Lines[0]);
        Assert.EndsWith(" 1700000000123000000", Decode("""{"t":1,"time":1700000000123}""", deviceTime).Lines[0]);

        var (verdict, lines) = Decode("""[{"time":"2026-11-28T11:00:00Z","values":{"a":1}},{"values":{"a":2}},{"time":1700000000000,"values":{"a":3}}]""", deviceTime);
        Assert.True(verdict.IsAccepted, verdict.Detail);
        Assert.Equal(
            [
                $"{s_device},device={s_device} a=1 {ProcessingRecords.Ns(new DateTimeOffset(2026, 11, 28, 11, 0, 0, TimeSpan.Zero))}",
                $"{s_device},device={s_device} a=2 {deviceTime}",
                $"{s_device},device={s_device} a=3 1700000000000000000",
            ],
            lines);
    }

    [Fact]
    public void A_time_after_the_values_still_times_the_point_in_one_pass()
    {
        var (verdict, lines) = Decode("""[{"values":{"a":1,"b":2},"time":1700000000000},{"values":{"a":3}}]""", deviceTimeNs: 5);
        Assert.True(verdict.IsAccepted, verdict.Detail);
        Assert.Equal([$"{s_device},device={s_device} a=1,b=2 1700000000000000000", $"{s_device},device={s_device} a=3 5"], lines);
        Assert.Equal($"{s_device},device={s_device} a=1,time.x=2 1700000000000000000", Decode("""{"a":1,"time":1700000000000,"time.x":2}""").Lines.Single());
    }

    [Fact]
    public void Each_record_of_many_points_is_tagged_with_its_own_device()
    {
        var points = new RecordPoints();
        var other = DeviceId.New();
        string[] Lines(DeviceId device)
        {
            points.Reset(device);
            var verdict = JsonValuesDecoder.Decode(ProcessingRecords.Json(device, """[{"values":{"a":1}},{"values":{"a":2}},{"values":{"a":3}}]"""), points);
            Assert.True(verdict.IsAccepted, verdict.Detail);
            return Encoding.UTF8.GetString(points.Take().Values.Span).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        }

        Assert.All(Lines(s_device), line => Assert.StartsWith($"{s_device},device={s_device} a=", line, StringComparison.Ordinal));
        Assert.All(Lines(other), line => Assert.StartsWith($"{other},device={other} a=", line, StringComparison.Ordinal));
        Assert.All(Lines(s_device), line => Assert.StartsWith($"{s_device},device={s_device} a=", line, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("""[{"values":{"a":1},"values":{"a":2}}]""", "UnknownMember", "$[0].values")]
    [InlineData("""{"a":{"b":{"c":{"d":1}}}}""", "TooDeep", "$.a.b.c")]
    [InlineData("""[{"time":"2026-11-28T11:00:00","values":{"a":1}}]""", "BadTime", "$[0].time")]
    [InlineData("""[{"time":"1969-12-31T23:59:59Z","values":{"a":1}}]""", "BadTime", "$[0].time")]
    [InlineData("""{"a":1,"time":-1}""", "BadTime", "$.time")]
    [InlineData("""{"t":1""", "MalformedJson", "$")]
    public void What_ingest_refuses_is_dead_lettered_with_the_same_error_and_path(string json, string error, string path)
    {
        var (verdict, _) = Decode(json);
        Assert.Equal(RejectReason.DecodeFailed, verdict.Reason);
        var check = MeasurementBody.Check(Encoding.UTF8.GetBytes(json));
        Assert.Equal(error, check.Error.ToString());
        Assert.StartsWith(path, check.Path, StringComparison.Ordinal);
        Assert.Equal(check.ToString(), verdict.Detail);
    }

    [Fact]
    public void Processing_accepts_exactly_the_bodies_ingest_accepts()
    {
        // The drift this guards against: ingest and processing once read this format with two parsers, and a body
        // one accepted (a time without a zone, a time before 1970) the other refused.
        string[] pieces = ["{", "}", "[", "]", ":", ",", "\"t\"", "\"values\"", "\"time\"", "\"a.b\"", "1", "-0.5e3", "1e999", "true", "null",
            "\"x\"", "\"2026-11-28T10:00:00Z\"", "\"2026-11-28T10:00:00\"", "\"1969-12-31T23:59:59Z\"", "-1", "\"\\u00", " "];
        Gen.Int[0, pieces.Length - 1].Select(i => pieces[i]).Array[1, 30].Select(string.Concat).Sample(text =>
        {
            var ingest = MeasurementBody.Check(Encoding.UTF8.GetBytes(text), int.MaxValue);
            var (verdict, lines) = Decode(text);
            Assert.Equal(ingest.IsValid, verdict.IsAccepted);
            Assert.Equal(ingest.IsValid ? ingest.Entries : 0, verdict.IsAccepted ? lines.Length : 0);
        }, iter: 20_000);
    }

    [Fact]
    public void Plain_decimals_are_written_as_they_came_and_other_numbers_in_shortest_form()
    {
        var (verdict, lines) = Decode("""{"a":21.50,"b":-0.001,"c":1013,"d":1.5e3,"e":-2E-2,"f":123456789012345678901234567890123}""");
        Assert.True(verdict.IsAccepted, verdict.Detail);
        Assert.StartsWith($"{s_device},device={s_device} a=21.50,b=-0.001,c=1013,d=1500,e=-0.02,f=1.23456789012345", lines.Single(), StringComparison.Ordinal);
        Assert.Contains("E+32 ", lines.Single(), StringComparison.Ordinal);
    }

    [Fact]
    public void Any_json_number_is_stored_as_the_double_it_spells()
    {
        // InfluxDB parses the field text as a double: whichever way it was written (as it came, or parsed and
        // formatted), the text must read back as the number the JSON held.
        Gen.OneOf(
                Gen.Double.Where(double.IsFinite).Select(d => d.ToString("R", CultureInfo.InvariantCulture)),
                Gen.Double[-1e6, 1e6].Select(d => d.ToString("F4", CultureInfo.InvariantCulture)),
                Gen.Long.Select(l => l.ToString(CultureInfo.InvariantCulture)))
            .Sample(text =>
            {
                var (verdict, lines) = Decode($$"""{"v":{{text}}}""");
                Assert.True(verdict.IsAccepted, verdict.Detail);
                var field = lines.Single().Split(' ')[1];
                Assert.StartsWith("v=", field, StringComparison.Ordinal);
                Assert.Equal(double.Parse(text, CultureInfo.InvariantCulture), double.Parse(field[2..], CultureInfo.InvariantCulture));
            }, iter: 2_000);
    }
}
