namespace Datacake.Streams.Ingest.Webhooks.Parsing;

/// <summary>
/// RFC 3339 times with up to 9 fractional digits (TTS and ChirpStack write nanoseconds; .NET's own parsers stop at
/// 7), to Unix nanoseconds so that a replayed message gets the same point time to the nanosecond.
/// </summary>
internal static class Rfc3339
{
    private const long NanosPerSecond = 1_000_000_000;

    public static bool TryParseUnixNanoseconds(ReadOnlySpan<char> text, out long unixNs)
    {
        unixNs = 0;

        // yyyy-MM-ddTHH:mm:ss is 19 characters; then an optional fraction and the zone.
        if (text.Length < 20 || text[4] != '-' || text[7] != '-' || (text[10] is not ('T' or 't' or ' ')) || text[13] != ':' || text[16] != ':')
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
            while (digits < rest.Length && char.IsAsciiDigit(rest[digits]))
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
        if (rest is ['Z' or 'z'])
        {
            offsetSeconds = 0;
        }
        else if (rest.Length == 6 && rest[0] is '+' or '-' && rest[3] == ':'
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

        // Past year 2262 Unix nanoseconds overflow 64 bits.
        if (unixSeconds is > (long.MaxValue / NanosPerSecond) - 1 or < (long.MinValue / NanosPerSecond) + 1)
        {
            return false;
        }

        unixNs = (unixSeconds * NanosPerSecond) + fractionNs;
        return true;
    }

    private static bool Digits(ReadOnlySpan<char> text, out int value)
    {
        value = 0;
        foreach (var c in text)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }

            value = (value * 10) + (c - '0');
        }

        return true;
    }
}
