using System.Collections.Concurrent;
using System.Net;

namespace Datacake.Streams.EdgeAuth;

/// <summary>
/// The one budget of failed authentications, for every edge: HTTP ingest, webhooks, MQTT, the API and /v1/ops. A token
/// bucket per (client address, <see cref="FailureScope"/>): <see cref="FailedAuthenticationOptions.FailedAuthenticationBurst"/>
/// failures at once, one more per <see cref="FailedAuthenticationOptions.FailedAuthenticationRefill"/>.
/// </summary>
/// <remarks>
/// <para>Only failures spend it and only failures are refused by it: the caller authenticates first and asks the budget
/// only when the credential failed, so a request with a valid credential is never refused because others failed from
/// its address (a LoRaWAN network server or a carrier NAT carries many tenants). Scoping by webhook, device or token
/// prefix keeps one tenant's failures from spending another's budget.</para>
/// <para>The buckets are <see cref="TokenBucket"/>s on <see cref="TimeProvider"/>'s clock (why not
/// System.Threading.RateLimiting: see there), so refill and the memory bound are tested deterministically.</para>
/// </remarks>
public sealed class FailedAuthenticationBudget
{
    private readonly ConcurrentDictionary<(IPAddress Address, FailureScope Scope), TokenBucket> _buckets = new();
    private readonly TimeProvider _time;
    private readonly double _burst;
    private readonly TimeSpan _refill;
    private readonly double _perSecond;
    private readonly int _maxScopes;
    private long _lastPrune;

    public FailedAuthenticationBudget(TimeProvider time, FailedAuthenticationOptions options)
    {
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(options);
        _time = time;
        _burst = options.FailedAuthenticationBurst;
        _refill = options.FailedAuthenticationRefill;
        _perSecond = 1 / _refill.TotalSeconds;
        _maxScopes = options.FailedAuthenticationScopes;
    }

    /// <summary>(Address, scope) pairs tracked now; at most the configured bound.</summary>
    public int TrackedScopes => _buckets.Count;

    /// <summary>
    /// Counts one failed authentication from <paramref name="client"/> aimed at <paramref name="scope"/>. True when it was
    /// within the budget (answer 401 as usual); false when the budget was already spent: answer 429 with
    /// <paramref name="retryAfter"/> (at least one second), the time until the next allowance.
    /// </summary>
    public bool TrySpend(IPAddress? client, FailureScope scope, out TimeSpan retryAfter)
    {
        retryAfter = TimeSpan.Zero;

        // No address (a Unix socket, an in-process test server): such callers share one budget per scope.
        var key = (client ?? IPAddress.None, scope);
        if (!_buckets.TryGetValue(key, out var bucket))
        {
            if (_buckets.Count >= _maxScopes && !Prune())
            {
                // Every tracked pair is still spending (a spray of addresses or scopes): the new one is not tracked, its
                // failure still gets 401. The pairs already over budget stay refused.
                return true;
            }

            bucket = _buckets.GetOrAdd(key, static (_, state) => new TokenBucket(state.burst, state.now), (burst: _burst, now: _time.GetTimestamp()));
        }

        lock (bucket)
        {
            return bucket.TrySpend(_time, _perSecond, _burst, 1, out retryAfter);
        }
    }

    /// <summary>Drops the pairs whose budget is whole again (they are the same as untracked). True when room was made.</summary>
    private bool Prune()
    {
        // A sweep is O(pairs): at most one per refill period bounds its cost under a flood of new pairs.
        var last = Interlocked.Read(ref _lastPrune);
        var now = _time.GetTimestamp();
        if ((last == 0 || _time.GetElapsedTime(last, now) >= _refill) && Interlocked.CompareExchange(ref _lastPrune, now, last) == last)
        {
            foreach (var (key, bucket) in _buckets)
            {
                lock (bucket)
                {
                    if (bucket.Refill(_time, _perSecond, _burst) >= _burst)
                    {
                        _buckets.TryRemove(new KeyValuePair<(IPAddress, FailureScope), TokenBucket>(key, bucket));
                    }
                }
            }
        }

        return _buckets.Count < _maxScopes;
    }
}
