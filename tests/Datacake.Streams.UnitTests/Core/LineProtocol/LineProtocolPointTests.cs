using System.Text;
using Datacake.Streams.LineProtocol;

namespace Datacake.Streams.UnitTests.Core.LineProtocol;

public sealed class LineProtocolPointTests
{
    [Fact]
    public void A_line_with_tags_every_field_type_and_a_time_comes_apart()
    {
        var line = "weather\\ station,site=north\\,1,k\\=x=v\\ w temp=21.5,n=-7i,u=9u,on=T,note=\"say \\\"hi\\\" \\\\ ok\" 1700000000000000000"u8;
        Assert.Equal(LineProtocolSyntaxError.None, LineProtocolPoint.TryParse(line, out var point));
        Assert.Equal("weather station", Name(point.Measurement, measurement: true));
        Assert.True(point.HasTimestamp);
        Assert.Equal(1_700_000_000_000_000_000, point.Timestamp);

        var tags = new List<(string, string)>();
        foreach (var tag in point.Tags)
        {
            tags.Add((Name(tag.Key), Name(tag.Value)));
        }

        Assert.Equal([("site", "north,1"), ("k=x", "v w")], tags);

        var fields = new List<string>();
        foreach (var field in point.Fields)
        {
            fields.Add(field.Kind switch
            {
                LineProtocolFieldKind.Float => $"{Name(field.Key)}:f:{field.Float}",
                LineProtocolFieldKind.Integer => $"{Name(field.Key)}:i:{field.Integer}",
                LineProtocolFieldKind.Unsigned => $"{Name(field.Key)}:u:{field.Unsigned}",
                LineProtocolFieldKind.Boolean => $"{Name(field.Key)}:b:{field.Boolean}",
                _ => $"{Name(field.Key)}:s:{Text(field.Value)}",
            });
        }

        Assert.Equal(["temp:f:21.5", "n:i:-7", "u:u:9", "on:b:True", "note:s:say \"hi\" \\ ok"], fields);
    }

    [Theory]
    [InlineData("a", LineProtocolSyntaxError.MissingFields)]
    [InlineData("bad line here", LineProtocolSyntaxError.InvalidFieldFormat)]
    [InlineData("m f=", LineProtocolSyntaxError.MissingFieldValue)]
    [InlineData("m f=1i,f2=2 notatime", LineProtocolSyntaxError.BadTimestamp)]
    [InlineData("m f=1 99999999999999999999", LineProtocolSyntaxError.BadTimestamp)]
    [InlineData("m f=\"abc", LineProtocolSyntaxError.UnbalancedQuotes)]
    [InlineData("m f=9223372036854775808i", LineProtocolSyntaxError.InvalidNumber)]
    [InlineData("m f=-1u", LineProtocolSyntaxError.InvalidNumber)]
    [InlineData("m f=tru", LineProtocolSyntaxError.InvalidBoolean)]
    [InlineData("m f=1e", LineProtocolSyntaxError.InvalidNumber)]
    [InlineData("m f=NaN", LineProtocolSyntaxError.InvalidNumber)]
    [InlineData("m f=1e999", LineProtocolSyntaxError.InvalidNumber)]
    [InlineData("m,t= f=1", LineProtocolSyntaxError.MissingTagValue)]
    [InlineData("m,=v f=1", LineProtocolSyntaxError.MissingTagKey)]
    [InlineData("m,t=a=b f=1", LineProtocolSyntaxError.InvalidTagFormat)]
    [InlineData("m,t=a", LineProtocolSyntaxError.MissingFields)]
    [InlineData(",t=a f=1", LineProtocolSyntaxError.MissingMeasurement)]
    [InlineData("m =1", LineProtocolSyntaxError.MissingFieldKey)]
    [InlineData("m f=\"a\"b", LineProtocolSyntaxError.InvalidFieldFormat)]
    public void A_bad_line_is_refused_with_InfluxDBs_reason(string line, LineProtocolSyntaxError expected)
    {
        Assert.Equal(expected, LineProtocolPoint.TryParse(Encoding.UTF8.GetBytes(line), out _));
    }

    [Theory]
    [InlineData("m f=1", false, 0)]
    [InlineData("m f=1 -5", true, -5)]
    [InlineData("m  f=1.  7 ", true, 7)]
    [InlineData("m f=.5,g=1E+3,h=-0", false, 0)]
    public void Good_lines_parse(string line, bool hasTime, long time)
    {
        Assert.Equal(LineProtocolSyntaxError.None, LineProtocolPoint.TryParse(Encoding.UTF8.GetBytes(line), out var point));
        Assert.Equal(hasTime, point.HasTimestamp);
        Assert.Equal(time, point.Timestamp);
    }

    [Fact]
    public void A_batch_skips_blank_and_comment_lines_and_keeps_a_newline_inside_a_string()
    {
        var body = "# header\r\n\r\n  m f=1\r\n\tm s=\"two\nlines\" 5\n#m f=2\n\nm g=3"u8;
        var batch = new LineProtocolBatch(body);
        var lines = new List<string>();
        while (batch.TryNext(out var line))
        {
            lines.Add(Text(line));
        }

        Assert.Equal(["m f=1", "m s=\"two\nlines\" 5", "m g=3"], lines);
    }

    [Theory]
    [InlineData("n", 1L)]
    [InlineData("", 1L)]
    [InlineData("u", 1_000L)]
    [InlineData("ms", 1_000_000L)]
    [InlineData("s", 1_000_000_000L)]
    [InlineData("m", 60_000_000_000L)]
    [InlineData("h", 3_600_000_000_000L)]
    [InlineData("x", 1L)]
    public void V1_precisions_are_InfluxDBs(string precision, long nanos) => Assert.Equal(nanos, LineProtocolPrecision.V1NanosPerUnit(precision));

    [Fact]
    public void V2_refuses_an_unknown_precision_and_a_time_that_overflows()
    {
        Assert.False(LineProtocolPrecision.TryV2NanosPerUnit("h", out _));
        Assert.True(LineProtocolPrecision.TryV2NanosPerUnit("ms", out var ms));
        Assert.Equal(1_000_000, ms);
        Assert.False(LineProtocolPrecision.TryToNanoseconds(long.MaxValue / 10, 1_000_000, out _));
        Assert.True(LineProtocolPrecision.TryToNanoseconds(1_700_000_000, 1_000_000_000, out var ns));
        Assert.Equal(1_700_000_000_000_000_000, ns);
    }

    internal static string Name(ReadOnlySpan<byte> escaped, bool measurement = false)
    {
        var buffer = new byte[escaped.Length];
        return Encoding.UTF8.GetString(buffer, 0, LineProtocolEscapes.UnescapeName(escaped, buffer, measurement));
    }

    internal static string Text(ReadOnlySpan<byte> escaped)
    {
        var buffer = new byte[escaped.Length];
        return Encoding.UTF8.GetString(buffer, 0, LineProtocolEscapes.UnescapeString(escaped, buffer));
    }
}
