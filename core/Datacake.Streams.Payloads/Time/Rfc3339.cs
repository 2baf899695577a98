using System.Text;

namespace Datacake.Streams.Payloads.Time;

/// <summary>
/// The one reader of RFC 3339 times in device and network data (measurement bodies, TTS, ChirpStack, Particle): to
/// Unix nanoseconds, so that a replayed message gets the same point time to the nanosecond.
/// </summary>
/// <remarks>
/// <para>Strict RFC 3339 <c>date-time</c>: <c>yyyy-MM-ddTHH:mm:ss</c>, an optional fraction of 1-9 digits (TTS and
/// ChirpStack write nanoseconds; .NET's own parsers stop at 7), and a zone, <c>Z</c> or <c>±hh:mm</c>. A time without
/// a zone is refused: read as the server's local time it would move a point by hours.</para>
/// <para>Times before 1970 are refused: no device or network server has a reason to send one, and a point time is a
/// Unix time. Times after 2262-04-11 are refused: Unix nanoseconds overflow 64 bits there.</para>
/// </remarks>
public static class Rfc3339
{
    /// <summary>The longest accepted text: 19 + '.' + 9 digits + 6 for the offset.</summary>
    public const int MaxLength = 35;

    private const long NanosPerSecond = 1_000_000_000;

    /// <summary>The time as a UTC <see cref="DateTimeOffset"/> (to the 100 ns tick), for callers outside the hot path.</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out DateTimeOffset time)
    {
        if (TryParseUnixNanoseconds(text, out var unixNs))
        {
            time = DateTimeOffset.UnixEpoch.AddTicks(unixNs / 100);
            return true;
        }

        time = default;
        return false;
    }

    public static bool TryParseUnixNanoseconds(ReadOnlySpan<char> text, out long unixNs)
    {
        unixNs = 0;
        Span<byte> ascii = stackalloc byte[MaxLength];
        return text.Length <= MaxLength
            && Ascii.FromUtf16(text, ascii, out var written) == System.Buffers.OperationStatus.Done
            && TryParseUnixNanoseconds(ascii[..written], out unixNs);
    }

    public static bool TryParseUnixNanoseconds(ReadOnlySpan<byte> text, out long unixNs)
    {
        unixNs = 0;

        // yyyy-MM-ddTHH:mm:ss is 19 characters; then an optional fraction and the zone.
        if (text.Length is < 20 or > MaxLength || text[4] != '-' || text[7] != '-' || (text[10] is not ((byte)'T' or (byte)'t' or (byte)' '))
            || text[13] != ':' || text[16] != ':')
        {
            return false;
        }

        if (!Digits(text[..4], out var year) || !Digits(text.Slice(5, 2), out var month) || !Digits(text.Slice(8, 2), out var day)
            || !Digits(text.Slice(11, 2), out var hour) || !Digits(text.Slice(14, 2), out var minute) || !Digits(text.Slice(17, 2), out var second))
        {
            return false;
        }

        var rest = text[19..];
        long fractionNs = 0;
        if (rest.Length > 0 && rest[0] == '.')
        {
            var digits = 1;
            while (digits < rest.Length && char.IsAsciiDigit((char)rest[digits]))
            {
                digits++;
            }

            // 1..9 digits: nanoseconds are the finest any network server reports.
            if (digits == 1 || digits > 10)
            {
                return false;
            }

            var scale = NanosPerSecond;
            for (var i = 1; i < digits; i++)
            {
                scale /= 10;
                fractionNs += (rest[i] - '0') * scale;
            }

            rest = rest[digits..];
        }

        long offsetSeconds;
        if (rest is [(byte)'Z' or (byte)'z'])
        {
            offsetSeconds = 0;
        }
        else if (rest.Length == 6 && rest[0] is (byte)'+' or (byte)'-' && rest[3] == ':'
            && Digits(rest.Slice(1, 2), out var offsetHours) && Digits(rest.Slice(4, 2), out var offsetMinutes)
            && offsetHours < 24 && offsetMinutes < 60)
        {
            offsetSeconds = ((offsetHours * 60) + offsetMinutes) * 60 * (rest[0] == '-' ? -1 : 1);
        }
        else
        {
            return false;
        }

        if (year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month) || hour > 23 || minute > 59 || second > 60)
        {
            return false;
        }

        // A leap second (:60) is folded into the next second, as .NET and InfluxDB have no representation for it.
        var local = new DateTime(year, month, day, hour, minute, Math.Min(second, 59), DateTimeKind.Unspecified).AddSeconds(second == 60 ? 1 : 0);
        var unixSeconds = ((local.Ticks - DateTime.UnixEpoch.Ticks) / TimeSpan.TicksPerSecond) - offsetSeconds;
        if (unixSeconds is < 0 or > (long.MaxValue / NanosPerSecond) - 1)
        {
            return false;
        }

        unixNs = (unixSeconds * NanosPerSecond) + fractionNs;
        return true;
    }

    /// <summary>Bytes <see cref="TryFormatUnixNanoseconds"/> writes: <c>yyyy-MM-ddTHH:mm:ss.fffffffffZ</c>.</summary>
    public const int FormattedLength = 30;

    /// <summary>The latest Unix time in nanoseconds that <see cref="TryParseUnixNanoseconds(ReadOnlySpan{byte}, out long)"/> accepts back.</summary>
    public const long MaxUnixNanoseconds = (((long.MaxValue / NanosPerSecond) - 1) * NanosPerSecond) + (NanosPerSecond - 1);

    /// <summary>
    /// Writes <paramref name="unixNs"/> (0 to <see cref="MaxUnixNanoseconds"/>) in UTC with all nine fraction digits,
    /// the form this reader takes back to the same nanosecond; false outside that range or when the buffer is short.
    /// </summary>
    public static bool TryFormatUnixNanoseconds(long unixNs, Span<byte> destination, out int written)
    {
        written = 0;
        if (unixNs is < 0 or > MaxUnixNanoseconds || destination.Length < FormattedLength)
        {
            return false;
        }

        var time = DateTime.UnixEpoch.AddTicks(unixNs / NanosPerSecond * TimeSpan.TicksPerSecond);
        if (!time.TryFormat(destination, out var dateLength, "yyyy-MM-dd'T'HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture) || dateLength != 19)
        {
            return false;
        }

        destination[19] = (byte)'.';
        var fraction = unixNs % NanosPerSecond;
        for (var i = 28; i >= 20; i--)
        {
            destination[i] = (byte)('0' + (fraction % 10));
            fraction /= 10;
        }

        destination[29] = (byte)'Z';
        written = FormattedLength;
        return true;
    }

    private static bool Digits(ReadOnlySpan<byte> text, out int value)
    {
        value = 0;
        foreach (var c in text)
        {
            if (!char.IsAsciiDigit((char)c))
            {
                return false;
            }

            value = (value * 10) + (c - '0');
        }

        return true;
    }
}
