using System.Collections.Concurrent;
using System.Net;

namespace Datacake.Streams.Api.Access;

/// <summary>
/// Slows down token guessing: each client IP has an allowance of failed authentications (a token bucket, default 10,
/// one back every 6 s). While it is used up, requests from that IP get 429 with Retry-After before any lookup.
/// Successful requests cost nothing.
/// </summary>
public sealed class FailedAuthenticationLimiter
{
    // Past this many tracked clients, fully recovered entries are dropped so a scan of many IPs cannot grow memory without bound.
    private const int PruneAbove = 10_000;

    private readonly ConcurrentDictionary<IPAddress, Bucket> _buckets = new();
    private readonly TimeProvider _time;
    private readonly double _burst;
    private readonly TimeSpan _refill;
    private long _lastPrune;

    public FailedAuthenticationLimiter(TimeProvider time, int burst, TimeSpan refill)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(burst, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(refill, TimeSpan.Zero);
        _time = time;
        _burst = burst;
        _refill = refill;
    }

    public int TrackedClients => _buckets.Count;

    /// <summary>True while <paramref name="client"/> has no failure allowance left; <paramref name="retryAfter"/> says for how long.</summary>
    public bool IsLimited(IPAddress? client, out TimeSpan retryAfter)
    {
        retryAfter = TimeSpan.Zero;
        if (client is null || !_buckets.TryGetValue(client, out var bucket))
        {
            return false;
        }

        lock (bucket)
        {
            var allowance = Refill(bucket);
            if (allowance >= 1)
            {
                return false;
            }

            retryAfter = _refill * (1 - allowance);
            return true;
        }
    }

    /// <summary>Counts one failed authentication from <paramref name="client"/>.</summary>
    public void RecordFailure(IPAddress? client)
    {
        if (client is null)
        {
            return;
        }

        if (_buckets.Count > PruneAbove)
        {
            PruneAtMostOncePerRefill();
        }

        var bucket = _buckets.GetOrAdd(client, _ => new Bucket(_burst, _time.GetTimestamp()));
        lock (bucket)
        {
            bucket.Allowance = Math.Max(0, Refill(bucket) - 1);
        }
    }

    private double Refill(Bucket bucket)
    {
        var now = _time.GetTimestamp();
        var elapsed = _time.GetElapsedTime(bucket.Stamp, now);
        bucket.Allowance = Math.Min(_burst, bucket.Allowance + (elapsed / _refill));
        bucket.Stamp = now;
        return bucket.Allowance;
    }

    private void PruneAtMostOncePerRefill()
    {
        // A scan is O(clients): once per refill period bounds its cost under a flood of new addresses.
        var last = Interlocked.Read(ref _lastPrune);
        var now = _time.GetTimestamp();
        if ((last != 0 && _time.GetElapsedTime(last, now) < _refill) || Interlocked.CompareExchange(ref _lastPrune, now, last) != last)
        {
            return;
        }

        foreach (var (client, bucket) in _buckets)
        {
            lock (bucket)
            {
                if (Refill(bucket) >= _burst)
                {
                    _buckets.TryRemove(client, out _);
                }
            }
        }
    }

    private sealed class Bucket(double allowance, long stamp)
    {
        public double Allowance { get; set; } = allowance;

        public long Stamp { get; set; } = stamp;
    }
}
