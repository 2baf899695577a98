using System.Globalization;
using System.Text;
using CsCheck;
using Datacake.Streams.Payloads.Time;

namespace Datacake.Streams.UnitTests.Payloads.Time;

public sealed class Rfc3339Tests
{
    [Theory]
    [InlineData("2026-11-28T10:00:00Z", 1795860000_000_000_000L)]
    [InlineData("2026-11-28t10:00:00z", 1795860000_000_000_000L)]
    [InlineData("2026-11-28 10:00:00Z", 1795860000_000_000_000L)]
    [InlineData("2026-11-28T11:30:00+01:30", 1795860000_000_000_000L)]
    [InlineData("2026-11-28T10:00:00.5Z", 1795860000_500_000_000L)]
    [InlineData("2026-11-28T10:00:00.123456789Z", 1795860000_123_456_789L)]
    [InlineData("1970-01-01T00:00:00Z", 0L)]
    [InlineData("2016-12-31T23:59:60Z", 1483228800_000_000_000L)]
    public void Reads_times_to_the_nanosecond(string text, long expected)
    {
        Assert.True(Rfc3339.TryParseUnixNanoseconds(text, out var chars));
        Assert.True(Rfc3339.TryParseUnixNanoseconds(Encoding.UTF8.GetBytes(text), out var bytes));
        Assert.Equal(expected, chars);
        Assert.Equal(expected, bytes);
    }

    [Theory]
    [InlineData("2026-11-28T10:00:00")]
    [InlineData("2026-11-28T10:00Z")]
    [InlineData("2026-11-28")]
    [InlineData("2026-11-28T10:00:00+0100")]
    [InlineData("2026-11-28T10:00:00.Z")]
    [InlineData("2026-11-28T10:00:00.1234567891Z")]
    [InlineData("2026-02-29T10:00:00Z")]
    [InlineData("1969-12-31T23:59:59Z")]
    [InlineData("1970-01-01T00:30:00+01:00")]
    [InlineData("2262-04-12T00:00:00Z")]
    [InlineData("2026-11-28T10:00:00Zjunk")]
    [InlineData("２026-11-28T10:00:00Z")]
    [InlineData("")]
    public void Refuses_what_is_not_an_rfc_3339_time_with_a_zone_from_1970_to_2262(string text)
    {
        Assert.False(Rfc3339.TryParseUnixNanoseconds(text, out _));
        Assert.False(Rfc3339.TryParseUnixNanoseconds(Encoding.UTF8.GetBytes(text), out _));
    }

    [Fact]
    public void Any_time_written_by_dotnet_reads_back_to_the_same_instant()
    {
        var offset = Gen.Int[-14 * 60, 14 * 60].Select(m => TimeSpan.FromMinutes(m));
        var last = new DateTimeOffset(2262, 1, 1, 0, 0, 0, TimeSpan.Zero).UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        Gen.Select(Gen.Long[0, last], offset).Sample((ticks, zone) =>
        {
            var time = new DateTimeOffset(DateTimeOffset.UnixEpoch.UtcTicks + ticks, TimeSpan.Zero).ToOffset(zone);
            var text = time.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffffzzz", CultureInfo.InvariantCulture);
            Assert.True(Rfc3339.TryParseUnixNanoseconds(text, out var ns), text);
            Assert.Equal(ticks * 100, ns);
        }, iter: 5_000);
    }

    [Fact]
    public void Never_throws_on_arbitrary_text()
    {
        Gen.String[Gen.Char["0123456789-:TZ+.z "], 0, 40].Sample(text =>
        {
            if (Rfc3339.TryParseUnixNanoseconds(text, out var ns))
            {
                Assert.True(ns >= 0);
            }
        }, iter: 20_000);
        Gen.Byte.Array[0, 40].Sample(bytes =>
        {
            if (Rfc3339.TryParseUnixNanoseconds(bytes, out var ns))
            {
                Assert.True(ns >= 0);
            }
        }, iter: 20_000);
    }
}
