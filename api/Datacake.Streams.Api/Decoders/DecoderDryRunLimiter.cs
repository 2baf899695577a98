using System.Collections.Concurrent;
using Datacake.Streams.Api.Access;
using Datacake.Streams.EdgeAuth;
using Datacake.Streams.Problems;
using Microsoft.Extensions.Options;

namespace Datacake.Streams.Api.Decoders;

/// <summary>
/// The dry run's budget per caller (<see cref="DecoderDryRunLimits"/>): the one <see cref="TokenBucket"/> every limit
/// of this project uses for the rate, and a count of running dry runs for the concurrency, each per caller: a user by
/// its user id (all of its tokens share one budget) and a scoped token by its token id. Never by address: callers
/// behind one proxy do not share, and one tenant cannot spend another's budget. Over either limit: 429
/// <c>rate-limited</c> with Retry-After. Concurrency is checked first, so a refused slot spends no permit.
/// Thread-safe; one small entry per caller that ever ran a dry run.
/// </summary>
public sealed class DecoderDryRunLimiter
{
    private static readonly TimeSpan s_busyRetryAfter = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<string, Budget> _budgets = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly double _perSecond;

    public DecoderDryRunLimiter(IOptions<DecoderDryRunLimits> limits, TimeProvider time)
        : this(limits?.Value ?? throw new ArgumentNullException(nameof(limits)), time)
    {
    }

    public DecoderDryRunLimiter(DecoderDryRunLimits limits, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(limits);
        Limits = limits;
        _time = time ?? TimeProvider.System;
        _perSecond = 1 / limits.ReplenishmentPeriod.TotalSeconds;
    }

    public DecoderDryRunLimits Limits { get; }

    public static string PartitionOf(Caller caller) => caller switch
    {
        UserCaller user => "user:" + user.UserId,
        ScopedCaller scoped => "token:" + scoped.Token.Id,
        _ => "caller:" + (caller ?? throw new ArgumentNullException(nameof(caller))).Identity,
    };

    /// <summary>A slot for one dry run of <paramref name="caller"/>, given back on dispose; throws the 429 problem when over.</summary>
    public IDisposable Acquire(Caller caller)
    {
        var budget = _budgets.GetOrAdd(PartitionOf(caller), static (_, state) => new Budget(new TokenBucket(state.Limits.PermitLimit, state.Time.GetTimestamp())), (Limits, Time: _time));
        lock (budget)
        {
            if (budget.Running >= Limits.MaxConcurrent)
            {
                throw Refusal($"At most {Limits.MaxConcurrent} decoder dry run(s) of one caller at once.", s_busyRetryAfter);
            }

            if (!budget.Bucket.TrySpend(_time, _perSecond, Limits.PermitLimit, 1, out var retryAfter))
            {
                throw Refusal(
                    $"At most {Limits.PermitLimit} decoder dry runs per {Limits.Window:c} per caller; one more is allowed in {Math.Ceiling(retryAfter.TotalSeconds)} s.",
                    retryAfter);
            }

            budget.Running++;
        }

        return new Slot(budget);
    }

    private static ApiProblem Refusal(string detail, TimeSpan retryAfter) =>
        new(StatusCodes.Status429TooManyRequests, ProblemTypes.RateLimited, "Too many decoder dry runs", detail) { RetryAfter = retryAfter };

    private sealed class Budget(TokenBucket bucket)
    {
        public TokenBucket Bucket { get; } = bucket;

        public int Running { get; set; }
    }

    private sealed class Slot(Budget budget) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                lock (budget)
                {
                    budget.Running--;
                }
            }
        }
    }
}
