using Datacake.Streams.Payloads.Time;
using Datacake.Streams.Api.Access;
using System.Globalization;
using Datacake.Streams.Api.Retention;

namespace Datacake.Streams.Api.Queries;

/// <summary>Times and windows in query parameters.</summary>
public static class QueryTime
{
    /// <summary>RFC 3339 (with an offset or Z, 1970 to 2262) or integer epoch milliseconds. Never throws.</summary>
    public static bool TryParse(string? text, out DateTimeOffset time)
    {
        time = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        if (text.All(char.IsAsciiDigit) || (text[0] == '-' && text.Length > 1 && text.AsSpan(1).IndexOfAnyExceptInRange('0', '9') < 0))
        {
            if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long ms)
                || ms < -62_135_596_800_000 || ms > 253_402_300_799_999)
            {
                return false;
            }

            time = DateTimeOffset.FromUnixTimeMilliseconds(ms);
            return true;
        }

        // RFC 3339 with its zone (a time without one would be read in the server's zone): the one reader of the tree.
        return Rfc3339.TryParse(text, out time);
    }

    /// <summary>Epoch nanoseconds (InfluxDB's <c>epoch=ns</c>) as a UTC time, to the 100 ns tick.</summary>
    public static DateTimeOffset FromUnixNanoseconds(long ns) => DateTimeOffset.UnixEpoch.AddTicks(ns / 100);

    /// <summary>Rounds up to the next multiple of <paramref name="step"/> since the epoch (InfluxDB aligns GROUP BY time so).</summary>
    public static DateTimeOffset CeilTo(DateTimeOffset time, TimeSpan step) => RollupWindows.Ceil(time, step);

    /// <summary>Rounds down to a multiple of <paramref name="step"/> since the epoch: the start of the window holding <paramref name="time"/>.</summary>
    public static DateTimeOffset FloorTo(DateTimeOffset time, TimeSpan step) => RollupWindows.Floor(time, step);
}
