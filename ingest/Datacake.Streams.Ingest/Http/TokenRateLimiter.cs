using System.Collections.Concurrent;
using Datacake.Streams.Access;
using Datacake.Streams.EdgeAuth;

namespace Datacake.Streams.Ingest.Http;

/// <summary>
/// An optional token bucket per token (by its hash): <see cref="HttpIngestOptions.TokenRequestsPerSecond"/> refill,
/// <see cref="HttpIngestOptions.TokenBurst"/> capacity. Off when the rate is 0.
/// </summary>
public sealed class TokenRateLimiter(HttpIngestOptions options, TimeProvider timeProvider)
{
    private readonly ConcurrentDictionary<TokenHash, TokenBucket> _buckets = new();

    public bool IsEnabled => options.TokenRequestsPerSecond > 0;

    /// <summary>Takes one request from the token's bucket; false (and when to retry) when it is empty.</summary>
    public bool TryAcquire(TokenHash token, out int retryAfterSeconds)
    {
        retryAfterSeconds = 0;
        if (!IsEnabled)
        {
            return true;
        }

        var bucket = _buckets.GetOrAdd(token, static (_, state) => new TokenBucket(state.Burst, state.Time.GetTimestamp()), (Burst: options.TokenBurst, Time: timeProvider));
        lock (bucket)
        {
            if (bucket.TrySpend(timeProvider, options.TokenRequestsPerSecond, options.TokenBurst, 1, out var retryAfter))
            {
                return true;
            }

            retryAfterSeconds = (int)retryAfter.TotalSeconds;
            return false;
        }
    }
}
