using System.Text;
using CsCheck;
using Datacake.Streams.Ids;
using Datacake.Streams.InfluxApi;
using Datacake.Streams.Ingest.InfluxWrite;
using Datacake.Streams.Payloads.JsonValues;

namespace Datacake.Streams.UnitTests.Ingest.InfluxWrite;

public sealed class LineProtocolTranslationTests
{
    [Fact]
    public void The_writer_reads_the_names_of_the_one_virtual_schema()
    {
        Assert.Equal(InfluxApiSchema.Measurement, Encoding.UTF8.GetString(LineProtocolTranslation.VirtualMeasurement));
        Assert.Equal(InfluxApiSchema.DeviceTag, Encoding.UTF8.GetString(LineProtocolTranslation.DeviceTag));
        Assert.Equal(InfluxApiSchema.DeviceIdTag, Encoding.UTF8.GetString(LineProtocolTranslation.DeviceIdTag));
    }

    private const long ReceivedAt = 1_764_324_000_123_456_789;
    private static readonly DeviceId s_device = DeviceId.New();

    [Fact]
    public void Measurements_keeps_field_names_another_measurement_prefixes_them_and_tags_become_string_fields()
    {
        var result = Translate($"measurements temperature=21.5,count=3i,on=true\ncpu,host=srv1,device={s_device} usage_idle=99.5,note=\"a\\\"b\" 1700000000000000000\nmeasurements x=1u 5");
        Assert.Equal(3, result.Accepted);
        Assert.Empty(result.Messages);
        Assert.Equal(
            "[{\"time\":\"2025-11-28T10:00:00.123456789Z\",\"values\":{\"temperature\":21.5,\"count\":3,\"on\":true}},"
            + "{\"time\":1700000000000,\"values\":{\"cpu_host\":\"srv1\",\"cpu_usage_idle\":99.5,\"cpu_note\":\"a\\\"b\"}},"
            + "{\"time\":\"1970-01-01T00:00:00.000000005Z\",\"values\":{\"x\":1}}]",
            result.Json.Single());
    }

    [Theory]
    [InlineData("m,device=dev_0000000000000000000000000A f=1", "tag device names another device")]
    [InlineData("m,device_id=x f=1", "tag device_id names another device")]
    [InlineData("m f=9007199254740993i", "integer beyond")]
    [InlineData("m f=1 -1", "time before 1970")]
    [InlineData("m f=1,f=2", "given twice")]
    [InlineData("m,f=x f=2", "given twice")]
    [InlineData("m f\\ x=1", "is not 1-64 characters")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa f=1", "measurement name too long")]
    public void A_line_that_cannot_be_stored_is_dropped_with_its_reason_and_the_others_kept(string bad, string reason)
    {
        var result = Translate($"measurements good=1\n{bad}\nmeasurements other=2");
        Assert.Equal(2, result.Accepted);
        Assert.Equal(1, result.Dropped);
        Assert.Contains(reason, Assert.Single(result.Messages), StringComparison.Ordinal);
        Assert.StartsWith("unable to store '", result.Messages[0], StringComparison.Ordinal);
        Assert.Equal(2, MeasurementBody.Check(Encoding.UTF8.GetBytes(result.Json.Single())).Entries);
    }

    [Fact]
    public void Lines_of_one_measurement_and_time_with_other_tags_would_merge_so_the_later_is_refused()
    {
        var result = Translate("cpu,cpu=cpu0 usage=1 10\ncpu,cpu=cpu0 system=2 10\ncpu,cpu=cpu1 usage=3 10\nmem,host=a used=4 10\ncpu,cpu=cpu1 usage=3 11");
        Assert.Equal(4, result.Accepted);
        Assert.Equal(1, result.Dropped);
        Assert.Contains("cpu,cpu=cpu1 usage=3 10", result.Messages[0], StringComparison.Ordinal);
        Assert.Contains("would merge", result.Messages[0], StringComparison.Ordinal);
    }

    [Fact]
    public void Unparsable_lines_are_counted_apart_from_dropped_ones_with_InfluxDBs_words()
    {
        var result = Translate("bad line here\nmeasurements f=1\na");
        Assert.Equal(1, result.Accepted);
        Assert.Equal(2, result.Unparsed);
        Assert.Equal(0, result.Dropped);
        Assert.Equal(["unable to parse 'bad line here': invalid field format", "unable to parse 'a': missing fields"], result.Messages);
    }

    [Fact]
    public void Precision_scales_the_time_and_chunks_close_at_the_entry_limit()
    {
        var body = string.Join('\n', Enumerable.Range(0, 25).Select(i => $"measurements v={i} {1_700_000_000 + i}"));
        var result = Translate(body, nanosPerUnit: 1_000_000_000, chunkEntries: 10);
        Assert.Equal(25, result.Accepted);
        Assert.Equal([10, 10, 5], result.Json.Select(j => MeasurementBody.Check(Encoding.UTF8.GetBytes(j)).Entries));
        Assert.StartsWith("[{\"time\":1700000000000,", result.Json[0], StringComparison.Ordinal);
    }

    [Fact]
    public void Whatever_the_body_the_translation_never_throws_and_every_chunk_is_a_body_processing_accepts()
    {
        var parts = Gen.OneOf(
            "measurements", "m", "cpu", ",", "=", " ", "\"", "\\", "\n", "#", "1", "-1", "1.5e3", "i", "u", "t", "false", "host", "device",
            s_device.ToString(), "f", "é", "\t", "9007199254740993", "1700000000000000000", "x");
        parts.Array[0, 60].Select(string.Concat).Sample(
            body =>
            {
                var result = Translate(body, chunkEntries: 3);
                var entries = 0;
                foreach (var json in result.Json)
                {
                    var check = MeasurementBody.Check(Encoding.UTF8.GetBytes(json));
                    Assert.True(check.IsValid, $"{check} for {json}");
                    entries += check.Entries;
                }

                Assert.Equal(result.Accepted, entries);
            },
            iter: 10_000);
    }

    private static Translated Translate(string body, long nanosPerUnit = 1, int chunkEntries = 10_000)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        using var translation = new LineProtocolTranslation(s_device, nanosPerUnit, ReceivedAt, 512 * 1024, chunkEntries, bytes.Length);
        translation.Translate(bytes);
        var json = Enumerable.Range(0, translation.Chunks.Count).Select(i => Encoding.UTF8.GetString(translation.Chunks[i].Span)).ToList();
        return new Translated(translation.Accepted, translation.Unparsed, translation.Dropped, [.. translation.Messages], json);
    }

    private sealed record Translated(int Accepted, int Unparsed, int Dropped, List<string> Messages, List<string> Json);
}
