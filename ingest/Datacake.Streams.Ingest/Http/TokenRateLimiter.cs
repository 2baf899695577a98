using System.Collections.Concurrent;
using Datacake.Streams.Access;

namespace Datacake.Streams.Ingest.Http;

/// <summary>
/// An optional token bucket per token (by its hash): <see cref="HttpIngestOptions.TokenRequestsPerSecond"/> refill,
/// <see cref="HttpIngestOptions.TokenBurst"/> capacity. Off when the rate is 0.
/// </summary>
public sealed class TokenRateLimiter(HttpIngestOptions options, TimeProvider timeProvider)
{
    private readonly ConcurrentDictionary<TokenHash, Bucket> _buckets = new();

    public bool IsEnabled => options.TokenRequestsPerSecond > 0;

    /// <summary>Takes one request from the token's bucket; false (and when to retry) when it is empty.</summary>
    public bool TryAcquire(TokenHash token, out int retryAfterSeconds)
    {
        retryAfterSeconds = 0;
        if (!IsEnabled)
        {
            return true;
        }

        var bucket = _buckets.GetOrAdd(token, static (_, burst) => new Bucket(burst), options.TokenBurst);
        var now = timeProvider.GetTimestamp();
        lock (bucket)
        {
            var elapsed = bucket.Last == 0 ? 0 : timeProvider.GetElapsedTime(bucket.Last, now).TotalSeconds;
            bucket.Last = now;
            bucket.Tokens = Math.Min(options.TokenBurst, bucket.Tokens + (elapsed * options.TokenRequestsPerSecond));
            if (bucket.Tokens >= 1)
            {
                bucket.Tokens -= 1;
                return true;
            }

            retryAfterSeconds = Math.Max(1, (int)Math.Ceiling((1 - bucket.Tokens) / options.TokenRequestsPerSecond));
            return false;
        }
    }

    private sealed class Bucket(int burst)
    {
        public double Tokens { get; set; } = burst;

        public long Last { get; set; }
    }
}
