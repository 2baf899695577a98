using Datacake.Streams.Access;
using Datacake.Streams.Api.Access;
using Datacake.Streams.Api.Decoders;
using Datacake.Streams.Api.Metadata;

namespace Datacake.Streams.UnitTests.Api.Decoders;

/// <summary>
/// The dry run's per-caller budget. The windows are an hour long and the clock is a fake one where it matters, so every
/// outcome here is decided by the counts and the time the test sets, not by the machine's clock.
/// </summary>
public sealed class DecoderDryRunLimiterTests
{
    private static readonly DecoderDryRunLimits s_limits = new() { PermitLimit = 3, Window = TimeSpan.FromHours(1), MaxConcurrent = 1 };

    [Fact]
    public void A_caller_over_its_rate_gets_429_with_retry_after_and_another_caller_is_not_touched()
    {
        var limiter = new DecoderDryRunLimiter(s_limits);
        var a = User("user-a", "tok-a");
        var b = User("user-b", "tok-b");
        for (int i = 0; i < s_limits.PermitLimit; i++)
        {
            limiter.Acquire(b).Dispose();
        }

        var refused = Assert.Throws<ApiProblem>(() => limiter.Acquire(b));
        Assert.Equal(429, refused.Status);
        Assert.EndsWith("/rate-limited", refused.Type, StringComparison.Ordinal);

        // One permit comes back every Window / PermitLimit = 20 min: that is when to retry, not "in an hour".
        Assert.Equal(TimeSpan.FromMinutes(20), refused.RetryAfter);

        for (int i = 0; i < s_limits.PermitLimit; i++)
        {
            limiter.Acquire(a).Dispose();
        }
    }

    [Fact]
    public void A_caller_runs_at_most_MaxConcurrent_at_once_and_a_refused_slot_spends_no_permit()
    {
        var limiter = new DecoderDryRunLimiter(s_limits);
        var b = User("user-b", "tok-b");
        var other = Scoped("tok-other");

        var running = limiter.Acquire(b);
        for (int i = 0; i < 10; i++)
        {
            var busy = Assert.Throws<ApiProblem>(() => limiter.Acquire(b));
            Assert.Equal(429, busy.Status);
            Assert.Equal(TimeSpan.FromSeconds(1), busy.RetryAfter);
            Assert.Contains("at once", busy.Detail, StringComparison.Ordinal);
        }

        // Another caller's slot is its own.
        limiter.Acquire(other).Dispose();
        running.Dispose();

        // Ten refusals while busy spent nothing: the two permits left are still there, then the rate refuses.
        limiter.Acquire(b).Dispose();
        limiter.Acquire(b).Dispose();
        var refused = Assert.Throws<ApiProblem>(() => limiter.Acquire(b));
        Assert.Contains("per", refused.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void A_user_is_one_caller_whatever_token_it_uses_and_each_scoped_token_is_its_own()
    {
        Assert.Equal(DecoderDryRunLimiter.PartitionOf(User("u1", "t1")), DecoderDryRunLimiter.PartitionOf(User("u1", "t2")));
        Assert.NotEqual(DecoderDryRunLimiter.PartitionOf(User("u1", "t1")), DecoderDryRunLimiter.PartitionOf(User("u2", "t1")));
        Assert.NotEqual(DecoderDryRunLimiter.PartitionOf(Scoped("t1")), DecoderDryRunLimiter.PartitionOf(Scoped("t2")));

        // A scoped token whose id equals a user id is still another partition.
        Assert.NotEqual(DecoderDryRunLimiter.PartitionOf(User("x", "t")), DecoderDryRunLimiter.PartitionOf(Scoped("x")));

        var limiter = new DecoderDryRunLimiter(s_limits);
        for (int i = 0; i < s_limits.PermitLimit; i++)
        {
            limiter.Acquire(User("u1", "t" + i)).Dispose();
        }

        Assert.Throws<ApiProblem>(() => limiter.Acquire(User("u1", "another-token")));
    }

    [Fact]
    public void One_permit_comes_back_every_window_over_permit_limit_and_no_more_than_the_burst()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        var limiter = new DecoderDryRunLimiter(s_limits, clock);
        var b = User("user-b", "tok-b");
        for (int i = 0; i < s_limits.PermitLimit; i++)
        {
            limiter.Acquire(b).Dispose();
        }

        Assert.Throws<ApiProblem>(() => limiter.Acquire(b));
        clock.Advance(TimeSpan.FromMinutes(19));
        Assert.Equal(TimeSpan.FromMinutes(1), Assert.Throws<ApiProblem>(() => limiter.Acquire(b)).RetryAfter);
        clock.Advance(TimeSpan.FromMinutes(1));
        limiter.Acquire(b).Dispose();
        Assert.Throws<ApiProblem>(() => limiter.Acquire(b));

        // A day idle refills the burst, not a day's worth.
        clock.Advance(TimeSpan.FromDays(1));
        for (int i = 0; i < s_limits.PermitLimit; i++)
        {
            limiter.Acquire(b).Dispose();
        }

        Assert.Throws<ApiProblem>(() => limiter.Acquire(b));
    }

    [Theory]
    [InlineData(0, 60, 1)]
    [InlineData(30, 0, 1)]
    [InlineData(30, 60, 0)]
    [InlineData(30, 60, 65)]
    [InlineData(1000, 60, 1)]
    public void Options_outside_their_rules_fail_validation(int permits, int windowSeconds, int concurrent)
    {
        var options = new DecoderDryRunLimits { PermitLimit = permits, Window = TimeSpan.FromSeconds(windowSeconds), MaxConcurrent = concurrent };
        Assert.True(new DecoderDryRunLimitsValidator().Validate(null, options).Failed);
    }

    [Fact]
    public void The_defaults_are_valid()
    {
        Assert.True(new DecoderDryRunLimitsValidator().Validate(null, new DecoderDryRunLimits()).Succeeded);
    }

    private static UserCaller User(string userId, string tokenId) =>
        new(userId, tokenId, new Dictionary<string, WorkspaceRole>(StringComparer.Ordinal));

    private static ScopedCaller Scoped(string tokenId) => new(new TokenRecord
    {
        Id = tokenId,
        Kind = TokenKind.Scoped,
        Hash = TokenHash.Of(AccessToken.New().Secret),
        Name = "scoped",
        WorkspaceId = "ws",
        CreatedAt = DateTimeOffset.UnixEpoch,
    });
}
