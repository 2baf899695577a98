namespace Datacake.Streams.EdgeAuth;

/// <summary>
/// One token bucket on a <see cref="TimeProvider"/>'s clock: the arithmetic every edge budget shares (failed
/// authentications per address and scope, ingest points per workspace, requests per token). The owner keeps the buckets
/// (one per partition, in a concurrent map) and holds the bucket's lock around each call; rate and capacity are passed
/// in, so that a limit changed at run time (an operator's new quota) applies to the tokens already in the bucket.
/// </summary>
/// <remarks>
/// Not System.Threading.RateLimiting's TokenBucketRateLimiter: with AutoReplenishment off, its TryReplenish refills for
/// the Stopwatch time since its last call, not a TimeProvider's, so a fake clock cannot drive it; its
/// PartitionedRateLimiter drops idle partitions on a real 100 ms timer; and a refused AttemptAcquire allocates a lease
/// for its Retry-After. This class is 32 bytes per partition and allocates nothing per call.
/// </remarks>
public sealed class TokenBucket(double allowance, long stamp)
{
    /// <summary>Tokens in the bucket at <see cref="Stamp"/>; negative while a message larger than the capacity is paid off.</summary>
    public double Allowance { get; private set; } = allowance;

    /// <summary>The <see cref="TimeProvider.GetTimestamp"/> of the last refill.</summary>
    public long Stamp { get; private set; } = stamp;

    /// <summary>Adds what <paramref name="perSecond"/> earned since the last call, up to <paramref name="capacity"/>; returns the allowance.</summary>
    public double Refill(TimeProvider time, double perSecond, double capacity)
    {
        ArgumentNullException.ThrowIfNull(time);
        var now = time.GetTimestamp();
        Allowance = Math.Min(capacity, Allowance + (time.GetElapsedTime(Stamp, now).TotalSeconds * perSecond));
        Stamp = now;
        return Allowance;
    }

    /// <summary>
    /// Takes <paramref name="cost"/> tokens when the bucket holds them. A cost above the whole capacity is taken when the
    /// bucket is full and leaves it in debt (refused until it is paid off): a large message is slowed to the rate, never
    /// refused forever. False with <paramref name="retryAfter"/> (at least 1 s, whole seconds: Retry-After's unit) when
    /// the bucket is short.
    /// </summary>
    public bool TrySpend(TimeProvider time, double perSecond, double capacity, double cost, out TimeSpan retryAfter)
    {
        var allowance = Refill(time, perSecond, capacity);
        var needed = Math.Min(cost, capacity);
        if (allowance >= needed)
        {
            Allowance = allowance - cost;
            retryAfter = TimeSpan.Zero;
            return true;
        }

        // Less a microsecond: a rate given as 1/period (1/6 s) carries float noise that must not round 2 s up to 3 s.
        retryAfter = TimeSpan.FromSeconds(Math.Max(1, Math.Ceiling(((needed - allowance) / perSecond) - 1e-6)));
        return false;
    }
}
