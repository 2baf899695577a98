using System.Buffers;
using System.Text;
using CsCheck;
using Datacake.Streams.Influx.LineProtocol;
using InfluxDB.Client.Api.Domain;
using InfluxDB.Client.Writes;

namespace Datacake.Streams.UnitTests.Influx;

/// <summary>Our hand-written writer against InfluxDB.Client's <see cref="PointData"/> as the reference encoder.</summary>
public sealed class LineProtocolPropertyTests
{
    // Chunks rather than chars so that a backslash is always followed by a plain letter (the only backslash
    // our writer accepts in a name) and surrogate pairs stay whole.
    private static readonly Gen<string> s_name = Gen.OneOf(
            "a", "Z", "0", "9", "_", "-", ".", " ", ",", "=", "\"", "'", "#", "é", "ß", "中", "😀", "\\x", "temp", "dev_01HZ")
        .Array[1, 8]
        .Select(string.Concat);

    private static readonly Gen<string> s_measurement = s_name.Where(n => n[0] != '#');

    private static readonly Gen<string> s_stringValue = Gen.OneOf(
            "a", " ", ",", "=", "\"", "\\", "'", "\n", "\t", "é", "中", "😀", "\\\"", "text")
        .Array[0, 10]
        .Select(string.Concat);

    private static readonly Gen<object> s_fieldValue = Gen.OneOf<object>(
        Gen.Long.Select(v => (object)v),
        Gen.Double.Where(double.IsFinite).Select(v => (object)v),
        Gen.OneOf(0.0, -0.0, 0.1, 1.0, 1e20, 1e-5, 1e21, 123456789012345678.0, double.Epsilon, double.MaxValue, double.MinValue).Select(v => (object)v),
        Gen.Bool.Select(v => (object)v),
        s_stringValue.Select(v => (object)v));

    private static readonly Gen<Point> s_point = Gen.Select(
        s_measurement,
        Gen.Select(s_name, s_name).Array[0, 3],
        Gen.Select(s_name, s_fieldValue).Array[1, 5],
        Gen.Long,
        (m, tags, fields, ts) => new Point(
            m,
            tags.DistinctBy(t => t.Item1).OrderBy(t => t.Item1, StringComparer.Ordinal).ToArray(),
            fields.DistinctBy(f => f.Item1).OrderBy(f => f.Item1, StringComparer.Ordinal).ToArray(),
            ts));

    [Fact]
    public void Output_equals_InfluxDB_Client_PointData_line_protocol()
    {
        s_point.Sample(
            point => Assert.Equal(Reference(point), Encode(point)),
            iter: 5_000);
    }

    [Fact]
    public void Pre_escaped_names_write_the_same_bytes_as_names_escaped_per_point()
    {
        s_point.Sample(
            point => Assert.Equal(Encode(point), Encode(point, preEscaped: true)),
            iter: 5_000);
    }

    [Fact]
    public void A_pre_escaped_name_is_refused_where_its_escaping_does_not_apply()
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new LineProtocolWriter(buffer);
        writer.Measurement(LineProtocolName.Measurement("m"));
        Assert.False(TryTag(ref writer, LineProtocolName.Measurement("a=b"), LineProtocolName.TagValue("v")));
        Assert.False(TryTag(ref writer, LineProtocolName.TagKey("k"), LineProtocolName.FieldKey("v")));

        // Tag keys and field keys escape alike, so either serves as the other.
        writer.Tag(LineProtocolName.FieldKey("k"), LineProtocolName.TagValue("v"));
        writer.Field(LineProtocolName.TagKey("f"), 1.5);
        writer.Timestamp(7);
        Assert.Equal("m,k=v f=1.5 7\n", Encoding.UTF8.GetString(buffer.WrittenSpan));
    }

    private static bool TryTag(ref LineProtocolWriter writer, LineProtocolName key, LineProtocolName value)
    {
        try
        {
            writer.Tag(key, value);
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    [Fact]
    public void Several_points_are_newline_separated_lines_of_the_reference()
    {
        s_point.Array[2, 6].Sample(
            points =>
            {
                var buffer = new ArrayBufferWriter<byte>();
                var writer = new LineProtocolWriter(buffer);
                foreach (Point point in points)
                {
                    Write(ref writer, point);
                }

                string expected = string.Concat(points.Select(p => Reference(p) + "\n"));
                Assert.Equal(expected, Encoding.UTF8.GetString(buffer.WrittenSpan));
            },
            iter: 500);
    }

    private static string Encode(Point point, bool preEscaped = false)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new LineProtocolWriter(buffer);
        if (preEscaped)
        {
            WritePreEscaped(ref writer, point);
        }
        else
        {
            Write(ref writer, point);
        }

        string line = Encoding.UTF8.GetString(buffer.WrittenSpan);
        Assert.EndsWith("\n", line, StringComparison.Ordinal);
        return line[..^1];
    }

    private static void Write(ref LineProtocolWriter writer, Point point)
    {
        writer.Measurement(point.Measurement);
        foreach ((string key, string value) in point.Tags)
        {
            writer.Tag(key, value);
        }

        foreach ((string key, object value) in point.Fields)
        {
            switch (value)
            {
                case long l:
                    writer.Field(key, l);
                    break;
                case double d:
                    writer.Field(key, d);
                    break;
                case bool b:
                    writer.Field(key, b);
                    break;
                default:
                    writer.Field(key, (string)value);
                    break;
            }
        }

        writer.Timestamp(point.Timestamp);
    }

    private static void WritePreEscaped(ref LineProtocolWriter writer, Point point)
    {
        writer.Measurement(LineProtocolName.Measurement(point.Measurement));
        foreach ((string key, string value) in point.Tags)
        {
            writer.Tag(LineProtocolName.TagKey(key), LineProtocolName.TagValue(value));
        }

        foreach ((string key, object value) in point.Fields)
        {
            var name = LineProtocolName.FieldKey(key);
            switch (value)
            {
                case long l:
                    writer.Field(name, l);
                    break;
                case double d:
                    writer.Field(name, d);
                    break;
                case bool b:
                    writer.Field(name, b);
                    break;
                default:
                    writer.Field(name, (string)value);
                    break;
            }
        }

        writer.Timestamp(point.Timestamp);
    }

    /// <summary>
    /// PointData's line. It sorts tags and fields by key (ordinal), so the generator hands both writers
    /// sorted, distinct keys. Floats need no normalisation: PointData formats doubles with
    /// ToString(InvariantCulture), which since .NET Core 3.0 is the same shortest round-trip text ("R") that
    /// our TryFormat writes, exponent form included ("1E+20", "5E-324"); InfluxDB's number scanner accepts it.
    /// Names never hold control characters here: our writer refuses them (PointData would write "\n" as
    /// backslash + 'n', which InfluxDB stores literally), covered by LineProtocolWriterTests.
    /// </summary>
    private static string Reference(Point point)
    {
        PointData data = PointData.Measurement(point.Measurement);
        foreach ((string key, string value) in point.Tags)
        {
            data = data.Tag(key, value);
        }

        foreach ((string key, object value) in point.Fields)
        {
            data = value switch
            {
                long l => data.Field(key, l),
                double d => data.Field(key, d),
                bool b => data.Field(key, b),
                _ => data.Field(key, (string)value),
            };
        }

        return data.Timestamp(point.Timestamp, WritePrecision.Ns).ToLineProtocol();
    }

    private sealed record Point(string Measurement, (string, string)[] Tags, (string, object)[] Fields, long Timestamp)
    {
        public override string ToString() =>
            $"{Measurement} tags=[{string.Join(", ", Tags)}] fields=[{string.Join(", ", Fields)}] ts={Timestamp}";
    }
}
