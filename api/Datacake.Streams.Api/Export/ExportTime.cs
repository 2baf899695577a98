using System.Globalization;

namespace Datacake.Streams.Api.Export;

/// <summary>Point times as RFC 3339 with all nine digits of InfluxDB's nanoseconds, UTC.</summary>
public static class ExportTime
{
    /// <summary>Longest form: "-yyyy-MM-ddTHH:mm:ss.fffffffffZ" and a little.</summary>
    public const int MaxBytes = 40;

    public static int WriteRfc3339(long unixNanoseconds, Span<byte> destination)
    {
        long ticks = Math.DivRem(unixNanoseconds, 100, out long nanos);
        if (nanos < 0)
        {
            ticks--;
            nanos += 100;
        }

        var time = new DateTime(DateTime.UnixEpoch.Ticks + ticks, DateTimeKind.Utc);
        if (!time.TryFormat(destination, out int written, "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fffffff", CultureInfo.InvariantCulture))
        {
            throw new ArgumentException("destination too small", nameof(destination));
        }

        destination[written++] = (byte)('0' + (nanos / 10));
        destination[written++] = (byte)('0' + (nanos % 10));
        destination[written++] = (byte)'Z';
        return written;
    }

    public static string Rfc3339(long unixNanoseconds)
    {
        Span<byte> buffer = stackalloc byte[MaxBytes];
        return System.Text.Encoding.ASCII.GetString(buffer[..WriteRfc3339(unixNanoseconds, buffer)]);
    }
}
