namespace Datacake.Streams.Influx.Client;

/// <summary>Exponential backoff with "equal jitter": half the delay fixed, half random.</summary>
internal static class RetryBackoff
{
    /// <summary>
    /// Delay before retry number <paramref name="retry"/> (1-based): base * 2^(retry-1), capped, then scaled into
    /// [50 %, 100 %] by <paramref name="random01"/>. Half fixed keeps a floor so a flapping server is not hammered;
    /// half random spreads writers that failed together.
    /// </summary>
    public static TimeSpan Delay(int retry, TimeSpan baseDelay, TimeSpan maxDelay, double random01)
    {
        double exponential = baseDelay.TotalMilliseconds * Math.Pow(2, Math.Min(retry - 1, 30));
        double capped = Math.Min(exponential, maxDelay.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(capped * (0.5 + (0.5 * random01)));
    }
}
