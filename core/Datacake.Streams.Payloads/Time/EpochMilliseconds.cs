namespace Datacake.Streams.Payloads.Time;

/// <summary>Unix epoch milliseconds as devices (measurement bodies) and Helium (<c>reported_at</c>) send them.</summary>
/// <remarks>The range of <see cref="Rfc3339"/>: from 1970 up to 2262, where Unix nanoseconds end.</remarks>
public static class EpochMilliseconds
{
    public const long Max = long.MaxValue / 1_000_000;

    public static bool TryToUnixNanoseconds(long milliseconds, out long unixNs)
    {
        var fits = milliseconds is >= 0 and <= Max;
        unixNs = fits ? milliseconds * 1_000_000 : 0;
        return fits;
    }
}
