using System.Threading.RateLimiting;
using Datacake.Streams.Api.Access;
using Datacake.Streams.Problems;
using Microsoft.Extensions.Options;

namespace Datacake.Streams.Api.Decoders;

/// <summary>
/// The dry run's budget per caller (<see cref="DecoderDryRunLimits"/>): a token bucket for the rate and a concurrency
/// limit, each partitioned by who calls, a user by its user id (all of its tokens share one budget) and a scoped
/// token by its token id. Never by address: callers behind one proxy do not share, and one tenant cannot spend
/// another's budget. Over either limit: 429 <c>rate-limited</c> with Retry-After. Thread-safe.
/// </summary>
/// <remarks>
/// Partitions are made on first use and dropped by the partitioned limiter once idle (bucket full, nothing running)
/// for about 10 s, so memory follows the callers active now.
/// </remarks>
public sealed class DecoderDryRunLimiter : IDisposable
{
    /// <summary>A concurrency refusal has no refill time; a dry run ends within its 100 ms budget, so 1 s (the header's unit).</summary>
    private static readonly TimeSpan s_busyRetryAfter = TimeSpan.FromSeconds(1);

    private readonly PartitionedRateLimiter<string> _concurrency;
    private readonly PartitionedRateLimiter<string> _rate;
    private readonly PartitionedRateLimiter<string> _chained;

    public DecoderDryRunLimiter(IOptions<DecoderDryRunLimits> limits)
        : this(limits?.Value ?? throw new ArgumentNullException(nameof(limits)))
    {
    }

    public DecoderDryRunLimiter(DecoderDryRunLimits limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        Limits = limits;
        var concurrency = new ConcurrencyLimiterOptions { PermitLimit = limits.MaxConcurrent, QueueLimit = 0 };
        var bucket = new TokenBucketRateLimiterOptions
        {
            TokenLimit = limits.PermitLimit,
            TokensPerPeriod = 1,
            ReplenishmentPeriod = limits.ReplenishmentPeriod,
            QueueLimit = 0,

            // Refilled by the partitioned limiter's one timer, not a timer per caller.
            AutoReplenishment = false,
        };
        _concurrency = PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.GetConcurrencyLimiter(key, _ => concurrency));
        _rate = PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.GetTokenBucketLimiter(key, _ => bucket));

        // Concurrency first: a refused slot spends no permit of the rate (the chain gives back the leases it holds).
        _chained = PartitionedRateLimiter.CreateChained(_concurrency, _rate);
    }

    public DecoderDryRunLimits Limits { get; }

    /// <summary>The partition of a caller: never an address, never a secret.</summary>
    public static string PartitionOf(Caller caller) => caller switch
    {
        UserCaller user => "user:" + user.UserId,
        ScopedCaller scoped => "token:" + scoped.Token.Id,
        _ => "caller:" + (caller ?? throw new ArgumentNullException(nameof(caller))).Identity,
    };

    /// <summary>
    /// A slot for one dry run of this caller, held until the lease is disposed; throws the 429 problem when the caller
    /// is over its rate or already runs <see cref="DecoderDryRunLimits.MaxConcurrent"/> dry runs.
    /// </summary>
    public RateLimitLease Acquire(Caller caller)
    {
        var lease = _chained.AttemptAcquire(PartitionOf(caller));
        if (lease.IsAcquired)
        {
            return lease;
        }

        using (lease)
        {
            if (lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter))
            {
                throw Refusal(
                    $"At most {Limits.PermitLimit} decoder dry runs per {Limits.Window:c} per caller; one more is allowed in {Math.Ceiling(retryAfter.TotalSeconds)} s.",
                    retryAfter);
            }

            throw Refusal($"At most {Limits.MaxConcurrent} decoder dry run(s) of one caller at once.", s_busyRetryAfter);
        }
    }

    public void Dispose()
    {
        _chained.Dispose();
        _rate.Dispose();
        _concurrency.Dispose();
    }

    private static ApiProblem Refusal(string detail, TimeSpan retryAfter) =>
        new(StatusCodes.Status429TooManyRequests, ProblemTypes.RateLimited, "Too many decoder dry runs", detail) { RetryAfter = retryAfter };
}
