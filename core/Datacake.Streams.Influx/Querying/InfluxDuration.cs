using System.Globalization;

namespace Datacake.Streams.Influx.Querying;

/// <summary>
/// Durations as InfluxQL spells them (<c>90m</c>, <c>30d</c>) and as InfluxDB prints them back
/// (<c>720h0m0s</c> in SHOW RETENTION POLICIES, <c>90m</c> inside SHOW CONTINUOUS QUERIES).
/// </summary>
public static class InfluxDuration
{
    private static readonly (string Unit, long Ticks)[] s_formatUnits =
    [
        ("d", TimeSpan.TicksPerDay),
        ("h", TimeSpan.TicksPerHour),
        ("m", TimeSpan.TicksPerMinute),
        ("s", TimeSpan.TicksPerSecond),
        ("ms", TimeSpan.TicksPerMillisecond),
    ];

    /// <summary>
    /// The shortest InfluxQL literal for a positive duration of whole milliseconds, in the largest unit that
    /// divides it (<c>1d</c>, <c>90m</c>); 0 is <c>0s</c> (InfluxDB's "infinite" retention).
    /// </summary>
    public static string Format(TimeSpan duration)
    {
        if (duration < TimeSpan.Zero || duration.Ticks % TimeSpan.TicksPerMillisecond != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(duration), duration, "An InfluxQL duration here is a non-negative whole number of milliseconds.");
        }

        if (duration == TimeSpan.Zero)
        {
            return "0s";
        }

        foreach ((string unit, long ticks) in s_formatUnits)
        {
            if (duration.Ticks % ticks == 0)
            {
                return (duration.Ticks / ticks).ToString(CultureInfo.InvariantCulture) + unit;
            }
        }

        throw new InvalidOperationException("unreachable: milliseconds divide every checked duration");
    }

    /// <summary>
    /// Parses a sequence of number+unit parts (<c>ns</c>, <c>u</c>/<c>µ</c>, <c>ms</c>, <c>s</c>, <c>m</c>,
    /// <c>h</c>, <c>d</c>, <c>w</c>, and <c>y</c> as 365 days for people): <c>720h0m0s</c>, <c>1d</c>, <c>1h30m</c>.
    /// Never throws.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<char> text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        text = text.Trim();
        if (text.IsEmpty)
        {
            return false;
        }

        long total = 0;
        int i = 0;
        while (i < text.Length)
        {
            int start = i;
            while (i < text.Length && char.IsAsciiDigit(text[i]))
            {
                i++;
            }

            if (i == start || i - start > 12 || !long.TryParse(text[start..i], NumberStyles.None, CultureInfo.InvariantCulture, out long number))
            {
                return false;
            }

            int unitStart = i;
            while (i < text.Length && !char.IsAsciiDigit(text[i]))
            {
                i++;
            }

            long? unitTicks = text[unitStart..i] switch
            {
                "ns" => 0,
                "u" or "µ" or "us" => -10,
                "ms" => TimeSpan.TicksPerMillisecond,
                "s" => TimeSpan.TicksPerSecond,
                "m" => TimeSpan.TicksPerMinute,
                "h" => TimeSpan.TicksPerHour,
                "d" => TimeSpan.TicksPerDay,
                "w" => TimeSpan.TicksPerDay * 7,
                "y" => TimeSpan.TicksPerDay * 365,
                _ => null,
            };
            if (unitTicks is not { } ticks)
            {
                return false;
            }

            try
            {
                // Sub-tick units (ns, and µs given as -10 = "divide by 10") only matter inside Go's printed form.
                long part = ticks switch
                {
                    0 => number / 100,
                    -10 => number * 10,
                    _ => checked(number * ticks),
                };
                total = checked(total + part);
            }
            catch (OverflowException)
            {
                return false;
            }
        }

        duration = TimeSpan.FromTicks(total);
        return true;
    }

    /// <summary>An absolute time as an InfluxQL integer literal of epoch nanoseconds.</summary>
    public static string Timestamp(DateTimeOffset time)
    {
        long ns = checked((time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100);
        return ns.ToString(CultureInfo.InvariantCulture);
    }
}
