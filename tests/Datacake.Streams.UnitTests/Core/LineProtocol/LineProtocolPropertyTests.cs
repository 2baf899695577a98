using System.Text;
using CsCheck;
using Datacake.Streams.LineProtocol;
using InfluxDB.Client.Api.Domain;
using InfluxDB.Client.Writes;

namespace Datacake.Streams.UnitTests.Core.LineProtocol;

/// <summary>The parser against InfluxDB.Client's <see cref="PointData"/> as the reference encoder, and against noise.</summary>
public sealed class LineProtocolParserPropertyTests
{
    // Chunks, so that a backslash is followed by a plain letter (a name ending in a backslash has no spelling that
    // InfluxDB reads back: LineProtocolError.AmbiguousBackslash) and surrogate pairs stay whole.
    private static readonly Gen<string> s_name = Gen.OneOf(
            "a", "Z", "0", "9", "_", "-", ".", " ", ",", "=", "\"", "'", "é", "中", "😀", "\\x", "temp", "dev_01HZ")
        .Array[1, 6]
        .Select(string.Concat);

    private static readonly Gen<string> s_stringValue = Gen.OneOf("a", " ", ",", "=", "\"", "\\", "'", "\n", "é", "😀", "\\\"", "text")
        .Array[0, 8]
        .Select(string.Concat);

    private static readonly Gen<object> s_value = Gen.OneOf<object>(
        Gen.Long.Select(v => (object)v),
        Gen.Double.Where(double.IsFinite).Select(v => (object)v),
        Gen.Bool.Select(v => (object)v),
        s_stringValue.Select(v => (object)v));

    private static readonly Gen<(string Measurement, (string, string)[] Tags, (string, object)[] Fields, long Time)> s_point = Gen.Select(
        s_name.Where(n => n[0] != '#' && n[0] != ' '),
        Gen.Select(s_name, s_name).Array[0, 3],
        Gen.Select(s_name, s_value).Array[1, 5],
        Gen.Long,
        (m, tags, fields, time) => (m, tags.DistinctBy(t => t.Item1).ToArray(), fields.DistinctBy(f => f.Item1).ToArray(), time));

    // Line-protocol-shaped noise: the grammar's own characters far more often than random bytes.
    private static readonly Gen<byte[]> s_noise = Gen.OneOf(
            Gen.OneOf("m", "f", "=", ",", " ", "\"", "\\", "\n", "#", "1", "-", ".", "e", "i", "u", "t", "true", "9223372036854775808", "\r", "\t", "é")
                .Select(s => Encoding.UTF8.GetBytes(s)),
            Gen.Byte.Array[1, 3])
        .Array[0, 40]
        .Select(parts => parts.SelectMany(p => p).ToArray());

    [Fact]
    public void Every_point_InfluxDB_Client_writes_reads_back_the_same()
    {
        s_point.Sample(
            p =>
            {
                var data = PointData.Measurement(p.Measurement).Timestamp(p.Time, WritePrecision.Ns);
                foreach (var (key, value) in p.Tags)
                {
                    data = data.Tag(key, value);
                }

                foreach (var (key, value) in p.Fields)
                {
                    data = value switch
                    {
                        long l => data.Field(key, l),
                        double d => data.Field(key, d),
                        bool b => data.Field(key, b),
                        _ => data.Field(key, (string)value),
                    };
                }

                var line = Encoding.UTF8.GetBytes(data.ToLineProtocol());
                var batch = new LineProtocolBatch(line);
                Assert.True(batch.TryNext(out var only));
                Assert.Equal(line.Length, only.Length);
                Assert.False(batch.TryNext(out _));
                Assert.Equal(LineProtocolSyntaxError.None, LineProtocolPoint.TryParse(only, out var point));
                Assert.Equal(p.Measurement, LineProtocolPointTests.Name(point.Measurement, measurement: true));
                Assert.Equal(p.Time, point.Timestamp);

                var tags = new List<(string, string)>();
                foreach (var tag in point.Tags)
                {
                    tags.Add((LineProtocolPointTests.Name(tag.Key), LineProtocolPointTests.Name(tag.Value)));
                }

                Assert.Equal(p.Tags.OrderBy(t => t.Item1, StringComparer.Ordinal), tags);

                var fields = new Dictionary<string, object>();
                foreach (var field in point.Fields)
                {
                    fields[LineProtocolPointTests.Name(field.Key)] = field.Kind switch
                    {
                        LineProtocolFieldKind.Integer => field.Integer,
                        LineProtocolFieldKind.Float => field.Float,
                        LineProtocolFieldKind.Boolean => field.Boolean,
                        LineProtocolFieldKind.String => LineProtocolPointTests.Text(field.Value),
                        _ => throw new InvalidOperationException("InfluxDB.Client writes no unsigned here"),
                    };
                }

                Assert.Equal(p.Fields.Length, fields.Count);
                foreach (var (key, value) in p.Fields)
                {
                    Assert.Equal(value, fields[key]);
                }
            },
            iter: 10_000);
    }

    [Fact]
    [Trait("Reliability", "fuzzing")]
    public void Noise_never_throws_and_what_parses_enumerates()
    {
        s_noise.Sample(
            body =>
            {
                var batch = new LineProtocolBatch(body);
                var lines = 0;
                while (batch.TryNext(out var line))
                {
                    Assert.True(++lines <= body.Length);
                    Assert.False(line.IsEmpty);
                    if (LineProtocolPoint.TryParse(line, out var point) != LineProtocolSyntaxError.None)
                    {
                        continue;
                    }

                    Assert.False(point.Measurement.IsEmpty);
                    var fields = 0;
                    foreach (var field in point.Fields)
                    {
                        fields++;
                        Assert.False(field.Key.IsEmpty);
                        _ = field.Kind switch
                        {
                            LineProtocolFieldKind.Float => Assert.IsType<double>(field.Float),
                            LineProtocolFieldKind.Integer => field.Integer,
                            LineProtocolFieldKind.Unsigned => (object)field.Unsigned,
                            LineProtocolFieldKind.Boolean => field.Boolean,
                            _ => LineProtocolPointTests.Text(field.Value),
                        };
                    }

                    Assert.True(fields > 0);
                    foreach (var tag in point.Tags)
                    {
                        Assert.False(tag.Key.IsEmpty);
                        Assert.False(tag.Value.IsEmpty);
                    }
                }
            },
            iter: 20_000);
    }
}
