namespace Datacake.Streams.LineProtocol;

/// <summary>The unit of a line's timestamp, as a multiplier to nanoseconds.</summary>
public static class LineProtocolPrecision
{
    /// <summary>
    /// v1's <c>precision</c>: <c>n</c>/<c>ns</c>, <c>u</c>/<c>us</c>, <c>ms</c>, <c>s</c>, <c>m</c>, <c>h</c>. Anything else
    /// reads as nanoseconds, as InfluxDB 1.6.7 does (it answers 204 to <c>precision=x</c>: measured).
    /// </summary>
    public static long V1NanosPerUnit(ReadOnlySpan<char> precision) => precision switch
    {
        "u" or "us" or "µ" => 1_000,
        "ms" => 1_000_000,
        "s" => 1_000_000_000,
        "m" => 60_000_000_000,
        "h" => 3_600_000_000_000,
        _ => 1,
    };

    /// <summary>v2's <c>precision</c>: <c>ns</c> (the default), <c>us</c>, <c>ms</c>, <c>s</c>; false for anything else (v2 answers 400).</summary>
    public static bool TryV2NanosPerUnit(ReadOnlySpan<char> precision, out long nanosPerUnit)
    {
        nanosPerUnit = precision switch
        {
            "" or "ns" => 1,
            "us" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            _ => 0,
        };
        return nanosPerUnit != 0;
    }

    /// <summary>The time in Unix nanoseconds; false when it overflows 64 bits (after 2262 or before 1677).</summary>
    public static bool TryToNanoseconds(long timestamp, long nanosPerUnit, out long unixNs)
    {
        unixNs = 0;
        if (nanosPerUnit == 1)
        {
            unixNs = timestamp;
            return true;
        }

        if (timestamp > long.MaxValue / nanosPerUnit || timestamp < long.MinValue / nanosPerUnit)
        {
            return false;
        }

        unixNs = timestamp * nanosPerUnit;
        return true;
    }
}
