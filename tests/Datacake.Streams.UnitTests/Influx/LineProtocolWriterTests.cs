using System.Buffers;
using System.Text;
using Datacake.Streams.Influx.LineProtocol;
using Datacake.Streams.Influx.Writing;

namespace Datacake.Streams.UnitTests.Influx;

public sealed class LineProtocolWriterTests
{
    [Fact]
    public void Writes_measurement_tags_typed_fields_and_ns_timestamp()
    {
        string line = Write((ref LineProtocolWriter w) =>
        {
            w.Measurement("weather");
            w.Tag("device", "dev_01");
            w.Field("temperature", 21.5);
            w.Field("count", 42L);
            w.Field("ok", true);
            w.Field("note", "hi");
            w.Field("whole", 3.0);
            w.Timestamp(1_700_000_000_123_456_789);
        });

        Assert.Equal("weather,device=dev_01 temperature=21.5,count=42i,ok=true,note=\"hi\",whole=3 1700000000123456789\n", line);
    }

    [Fact]
    public void Escapes_each_position_by_its_own_rules()
    {
        string line = Write((ref LineProtocolWriter w) =>
        {
            w.Measurement("m e,a=s");
            w.Tag("t k,=", "v a,l=\"");
            w.Field("f k,=\"", "say \"hi\" \\ bye\nnext");
            w.Timestamp(1);
        });

        Assert.Equal("m\\ e\\,a=s,t\\ k\\,\\==v\\ a\\,l\\=\" f\\ k\\,\\=\"=\"say \\\"hi\\\" \\\\ bye\nnext\" 1\n", line);
    }

    [Fact]
    public void Encodes_unicode_as_utf8()
    {
        string line = Write((ref LineProtocolWriter w) =>
        {
            w.Measurement("température");
            w.Tag("城市", "😀");
            w.Field("ß", "中");
            w.EndLine();
        });

        Assert.Equal("température,城市=😀 ß=\"中\"\n", line);
    }

    [Theory]
    [InlineData(1e20, "1E+20")]
    [InlineData(1e-5, "1E-05")]
    [InlineData(0.1, "0.1")]
    [InlineData(-0.0, "-0")]
    [InlineData(double.Epsilon, "5E-324")]
    [InlineData(double.MaxValue, "1.7976931348623157E+308")]
    public void Formats_floats_in_shortest_round_trip_form(double value, string expected)
    {
        string line = Write((ref LineProtocolWriter w) =>
        {
            w.Measurement("m");
            w.Field("f", value);
            w.EndLine();
        });

        Assert.Equal($"m f={expected}\n", line);
        Assert.Equal(value, double.Parse(expected, System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void Writes_long_extremes_with_i_suffix()
    {
        string line = Write((ref LineProtocolWriter w) =>
        {
            w.Measurement("m");
            w.Field("min", long.MinValue);
            w.Field("max", long.MaxValue);
            w.Timestamp(-1);
        });

        Assert.Equal("m min=-9223372036854775808i,max=9223372036854775807i -1\n", line);
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity)]
    public void Refuses_non_finite_floats_before_writing_anything(double value)
    {
        var buffer = new ArrayBufferWriter<byte>();
        int before = -1;
        LineProtocolException error = Assert.Throws<LineProtocolException>(() =>
        {
            var writer = new LineProtocolWriter(buffer);
            writer.Measurement("m");
            before = buffer.WrittenCount;
            writer.Field("f", value);
        });
        Assert.Equal(LineProtocolError.NonFiniteFloat, error.Error);
        Assert.Equal(before, buffer.WrittenCount);
    }

    [Theory]
    [InlineData("", LineProtocolError.EmptyName)]
    [InlineData("a\nb", LineProtocolError.ControlCharacter)]
    [InlineData("a\rb", LineProtocolError.ControlCharacter)]
    [InlineData("\tab", LineProtocolError.ControlCharacter)]
    [InlineData("a\0", LineProtocolError.ControlCharacter)]
    [InlineData("ab\\", LineProtocolError.AmbiguousBackslash)]
    [InlineData("a\\ b", LineProtocolError.AmbiguousBackslash)]
    [InlineData("a\\,b", LineProtocolError.AmbiguousBackslash)]
    [InlineData("a\\=b", LineProtocolError.AmbiguousBackslash)]
    [InlineData("a\\\\b", LineProtocolError.AmbiguousBackslash)]
    [InlineData("a\\\"b", LineProtocolError.AmbiguousBackslash)]
    public void Refuses_names_that_cannot_round_trip(string name, LineProtocolError expected)
    {
        Assert.Equal(expected, Assert.Throws<LineProtocolException>(() => Write((ref LineProtocolWriter w) => w.Measurement(name))).Error);
        Assert.Equal(expected, Assert.Throws<LineProtocolException>(() => Write((ref LineProtocolWriter w) =>
        {
            w.Measurement("m");
            w.Tag("k", name);
        })).Error);
        Assert.Equal(expected, Assert.Throws<LineProtocolException>(() => Write((ref LineProtocolWriter w) =>
        {
            w.Measurement("m");
            w.Field(name, 1L);
        })).Error);
    }

    [Fact]
    public void Accepts_a_backslash_before_a_plain_character()
    {
        Assert.Equal("a\\b f=1i\n", Write((ref LineProtocolWriter w) =>
        {
            w.Measurement("a\\b");
            w.Field("f", 1L);
            w.EndLine();
        }));
    }

    [Fact]
    public void Refuses_a_measurement_that_would_read_as_a_comment()
    {
        LineProtocolException error = Assert.Throws<LineProtocolException>(() => Write((ref LineProtocolWriter w) => w.Measurement("#m")));
        Assert.Equal(LineProtocolError.CommentMeasurement, error.Error);
        Assert.Equal("measurement", error.Element);
    }

    [Fact]
    public void Refuses_a_lone_surrogate_in_a_name()
    {
        // Built at run time: a lone surrogate in an attribute argument does not survive metadata encoding.
        string name = new(['a', (char)0xD800, 'b']);
        LineProtocolException error = Assert.Throws<LineProtocolException>(() => Write((ref LineProtocolWriter w) =>
        {
            w.Measurement("m");
            w.Tag(name, "v");
        }));
        Assert.Equal(LineProtocolError.InvalidUnicode, error.Error);
    }

    [Fact]
    public void Refuses_a_lone_surrogate_in_a_string_value()
    {
        LineProtocolException error = Assert.Throws<LineProtocolException>(() => Write((ref LineProtocolWriter w) =>
        {
            w.Measurement("m");
            w.Field("s", new string(['a', (char)0xDC00]));
        }));
        Assert.Equal(LineProtocolError.InvalidUnicode, error.Error);
    }

    [Fact]
    public void Refuses_calls_out_of_order()
    {
        Assert.Equal(LineProtocolError.OutOfOrder, Assert.Throws<LineProtocolException>(() => Write((ref LineProtocolWriter w) => w.Field("f", 1L))).Error);
        Assert.Equal(LineProtocolError.OutOfOrder, Assert.Throws<LineProtocolException>(() => Write((ref LineProtocolWriter w) => w.Tag("k", "v"))).Error);
        Assert.Equal(LineProtocolError.OutOfOrder, Assert.Throws<LineProtocolException>(() => Write((ref LineProtocolWriter w) =>
        {
            w.Measurement("m");
            w.Timestamp(1);
        })).Error);
        Assert.Equal(LineProtocolError.OutOfOrder, Assert.Throws<LineProtocolException>(() => Write((ref LineProtocolWriter w) =>
        {
            w.Measurement("m");
            w.Field("f", 1L);
            w.Tag("k", "v");
        })).Error);
        Assert.Equal(LineProtocolError.OutOfOrder, Assert.Throws<LineProtocolException>(() => Write((ref LineProtocolWriter w) =>
        {
            w.Measurement("m");
            w.Measurement("n");
        })).Error);
    }

    [Fact]
    public void A_batch_drops_the_line_left_unfinished_by_a_refused_value()
    {
        using var batch = new InfluxPointBatch();
        var good = batch.BeginPoint();
        good.Measurement("m");
        good.Field("f", 1.0);
        good.Timestamp(1);

        Assert.Throws<LineProtocolException>(() =>
        {
            var bad = batch.BeginPoint();
            bad.Measurement("m");
            bad.Field("a", 2.0);
            bad.Field("f", double.NaN);
        });
        Assert.Equal("m f=1 1\n", Encoding.UTF8.GetString(batch.Written.Span));

        var next = batch.BeginPoint();
        next.Measurement("m");
        next.Field("f", 3.0);
        next.Timestamp(3);

        Assert.Equal(2, batch.PointCount);
        Assert.Equal("m f=1 1\nm f=3 3\n", Encoding.UTF8.GetString(batch.Written.Span));
    }

    [Fact]
    public void A_batch_grows_past_its_initial_buffer_and_clears_for_reuse()
    {
        using var batch = new InfluxPointBatch(initialCapacity: 16);
        for (int i = 0; i < 1_000; i++)
        {
            var w = batch.BeginPoint();
            w.Measurement("measurement");
            w.Tag("device", "dev_0123456789");
            w.Field("value", (long)i);
            w.Timestamp(i);
        }

        Assert.Equal(1_000, batch.PointCount);
        string[] lines = Encoding.UTF8.GetString(batch.Written.Span).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(1_000, lines.Length);
        Assert.Equal("measurement,device=dev_0123456789 value=999i 999", lines[^1]);

        batch.Clear();
        Assert.Equal(0, batch.PointCount);
        Assert.True(batch.Written.IsEmpty);
    }

    [Fact]
    public void Encoding_a_point_allocates_nothing_in_steady_state()
    {
        var buffer = new ArrayBufferWriter<byte>(1 << 20);
        string device = "dev_01HZX3Q5V7T9K2M4P6R8S0W1Y3";
        EncodeMany(buffer, device, 1_000);

        long before = GC.GetAllocatedBytesForCurrentThread();
        EncodeMany(buffer, device, 10_000);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
    }

    private static void EncodeMany(ArrayBufferWriter<byte> buffer, string device, int count)
    {
        for (int i = 0; i < count; i++)
        {
            if (buffer.FreeCapacity < 512)
            {
                buffer.ResetWrittenCount();
            }

            var w = new LineProtocolWriter(buffer);
            w.Measurement("measurements");
            w.Tag("device", device);
            w.Field("temperature", 21.5 + i);
            w.Field("humidity", 45.25);
            w.Field("battery", 3.3);
            w.Field("rssi", -97L);
            w.Field("ok", true);
            w.Timestamp(1_700_000_000_000_000_000 + i);
        }
    }

    private delegate void WriteLine(ref LineProtocolWriter writer);

    [Theory]
    [InlineData("0", true)]
    [InlineData("-21.50", true)]
    [InlineData("1013", true)]
    [InlineData("12345678901234567890123456789012", true)]
    [InlineData("123456789012345678901234567890123", false)]
    [InlineData("", false)]
    [InlineData("-", false)]
    [InlineData("1.", false)]
    [InlineData(".5", false)]
    [InlineData("1.2.3", false)]
    [InlineData("--1", false)]
    [InlineData("1e5", false)]
    [InlineData("1 ", false)]
    [InlineData("1,a=2", false)]
    [InlineData("1\n", false)]
    public void A_decimal_field_takes_plain_decimal_text_only(string text, bool plain)
    {
        var bytes = Encoding.UTF8.GetBytes(text.Replace("\\n", "\n", StringComparison.Ordinal));
        Assert.Equal(plain, LineProtocolWriter.IsPlainDecimal(bytes));
        if (plain)
        {
            Assert.Equal($"m v={text} 1\n", Write((ref LineProtocolWriter w) =>
            {
                w.Measurement("m");
                w.FieldDecimal("v", bytes);
                w.Timestamp(1);
            }));
        }
        else
        {
            var error = Assert.Throws<LineProtocolException>(() => Write((ref LineProtocolWriter w) =>
            {
                w.Measurement("m");
                w.FieldDecimal("v", bytes);
            }));
            Assert.Equal(LineProtocolError.NotPlainDecimal, error.Error);
        }
    }

    private static string Write(WriteLine write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new LineProtocolWriter(buffer);
        write(ref writer);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
