namespace Datacake.Streams.Api.Grafana;

/// <summary>Maps Grafana's <c>intervalMs</c> and <c>maxDataPoints</c> onto a round <c>every</c>, which picks the tier.</summary>
public static class GrafanaInterval
{
    // Round windows, so that 60,000 ms lands on m1 and 3,600,000 ms on h1 instead of a 59 s raw scan.
    private static readonly TimeSpan[] s_steps =
    [
        TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(30),
        TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(30),
        TimeSpan.FromHours(1), TimeSpan.FromHours(6), TimeSpan.FromHours(12), TimeSpan.FromDays(1), TimeSpan.FromDays(7),
    ];

    /// <summary>
    /// The smallest round window ≥ Grafana's interval and ≥ range / maxDataPoints (and ≥ range / <paramref name="maxPoints"/>),
    /// so that the answer has no more points than the panel can draw.
    /// </summary>
    public static TimeSpan Every(TimeSpan range, long? intervalMs, int? maxDataPoints, int maxPoints)
    {
        long floor = Math.Max(intervalMs ?? 0, 0) * TimeSpan.TicksPerMillisecond;
        int points = Math.Clamp(maxDataPoints is > 0 ? maxDataPoints.Value : maxPoints, 1, maxPoints);
        floor = Math.Max(floor, range.Ticks / points);
        foreach (TimeSpan step in s_steps)
        {
            if (step.Ticks >= floor)
            {
                return step;
            }
        }

        long days = (floor + TimeSpan.TicksPerDay - 1) / TimeSpan.TicksPerDay;
        return TimeSpan.FromDays(days);
    }
}
