using Datacake.Streams.EdgeAuth;
using Microsoft.Extensions.Time.Testing;

namespace Datacake.Streams.UnitTests.Core.EdgeAuth;

public sealed class TokenBucketTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 6, 12, 0, 0, TimeSpan.Zero));

    [Fact]
    public void A_full_bucket_gives_its_capacity_then_refuses_until_the_rate_refills_it()
    {
        var bucket = new TokenBucket(10, _time.GetTimestamp());
        Assert.True(bucket.TrySpend(_time, perSecond: 5, capacity: 10, cost: 6, out _));
        Assert.True(bucket.TrySpend(_time, 5, 10, 4, out _));
        Assert.False(bucket.TrySpend(_time, 5, 10, 1, out var retryAfter));
        Assert.Equal(TimeSpan.FromSeconds(1), retryAfter);

        // 5 per second: after 0.2 s one token, not two.
        _time.Advance(TimeSpan.FromMilliseconds(200));
        Assert.True(bucket.TrySpend(_time, 5, 10, 1, out _));
        Assert.False(bucket.TrySpend(_time, 5, 10, 1, out _));

        // Never above the capacity, however long it rested.
        _time.Advance(TimeSpan.FromHours(1));
        Assert.Equal(10, bucket.Refill(_time, 5, 10));
    }

    [Fact]
    public void Retry_after_is_the_wait_for_the_cost_in_whole_seconds()
    {
        var bucket = new TokenBucket(0, _time.GetTimestamp());
        Assert.False(bucket.TrySpend(_time, perSecond: 2, capacity: 100, cost: 9, out var retryAfter));
        Assert.Equal(TimeSpan.FromSeconds(5), retryAfter);
        _time.Advance(TimeSpan.FromSeconds(4.4));
        Assert.False(bucket.TrySpend(_time, 2, 100, 9, out _));
        _time.Advance(TimeSpan.FromSeconds(0.1));
        Assert.True(bucket.TrySpend(_time, 2, 100, 9, out _));
    }

    [Fact]
    public void A_cost_above_the_capacity_passes_on_a_full_bucket_and_is_paid_off_at_the_rate()
    {
        var bucket = new TokenBucket(10, _time.GetTimestamp());
        Assert.True(bucket.TrySpend(_time, perSecond: 10, capacity: 10, cost: 50, out _));
        Assert.Equal(-40, bucket.Allowance);

        // 40 in debt and 10 needed for the next large one: five seconds at 10 per second.
        Assert.False(bucket.TrySpend(_time, 10, 10, 50, out var retryAfter));
        Assert.Equal(TimeSpan.FromSeconds(5), retryAfter);
        _time.Advance(TimeSpan.FromSeconds(5));
        Assert.True(bucket.TrySpend(_time, 10, 10, 50, out _));
    }

    [Fact]
    public void A_smaller_capacity_applies_to_the_tokens_already_in_the_bucket()
    {
        var bucket = new TokenBucket(1000, _time.GetTimestamp());
        Assert.True(bucket.TrySpend(_time, perSecond: 1, capacity: 3, cost: 3, out _));
        Assert.False(bucket.TrySpend(_time, 1, 3, 1, out _));
    }
}
