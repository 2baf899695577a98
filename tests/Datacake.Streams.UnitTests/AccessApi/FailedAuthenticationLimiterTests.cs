using System.Net;
using Datacake.Streams.Api.Access;
using Microsoft.Extensions.Time.Testing;

namespace Datacake.Streams.UnitTests.AccessApi;

[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class FailedAuthenticationLimiterTests
{
    private static readonly IPAddress _client = IPAddress.Parse("192.0.2.10");
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 29, 6, 0, 0, TimeSpan.Zero));

    [Fact]
    public void Ten_failures_pass_and_the_eleventh_request_is_limited_with_a_retry_after()
    {
        var limiter = new FailedAuthenticationLimiter(_time, burst: 10, refill: TimeSpan.FromSeconds(6));
        for (var i = 0; i < 10; i++)
        {
            Assert.False(limiter.IsLimited(_client, out _), $"limited after {i} failures");
            limiter.RecordFailure(_client);
        }

        Assert.True(limiter.IsLimited(_client, out var retryAfter));
        Assert.Equal(TimeSpan.FromSeconds(6), retryAfter);
    }

    [Fact]
    public void One_allowance_comes_back_per_refill_period()
    {
        var limiter = new FailedAuthenticationLimiter(_time, burst: 10, refill: TimeSpan.FromSeconds(6));
        for (var i = 0; i < 10; i++)
        {
            limiter.RecordFailure(_client);
        }

        _time.Advance(TimeSpan.FromSeconds(4));
        Assert.True(limiter.IsLimited(_client, out var retryAfter));
        Assert.Equal(2, retryAfter.TotalSeconds, precision: 6);

        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.False(limiter.IsLimited(_client, out _));
        limiter.RecordFailure(_client);
        Assert.True(limiter.IsLimited(_client, out _));

        // A full minute later the whole burst is back.
        _time.Advance(TimeSpan.FromMinutes(1));
        for (var i = 0; i < 10; i++)
        {
            Assert.False(limiter.IsLimited(_client, out _));
            limiter.RecordFailure(_client);
        }

        Assert.True(limiter.IsLimited(_client, out _));
    }

    [Fact]
    public void Clients_are_limited_separately()
    {
        var limiter = new FailedAuthenticationLimiter(_time, burst: 2, refill: TimeSpan.FromSeconds(30));
        limiter.RecordFailure(_client);
        limiter.RecordFailure(_client);
        Assert.True(limiter.IsLimited(_client, out _));
        Assert.False(limiter.IsLimited(IPAddress.Parse("192.0.2.11"), out _));
        Assert.False(limiter.IsLimited(null, out _));
    }

    [Fact]
    public void Many_clients_do_not_grow_memory_without_bound()
    {
        var limiter = new FailedAuthenticationLimiter(_time, burst: 1, refill: TimeSpan.FromSeconds(1));
        for (var i = 0; i < 12_000; i++)
        {
            limiter.RecordFailure(new IPAddress(BitConverter.GetBytes(i + 1)));
        }

        _time.Advance(TimeSpan.FromSeconds(2));
        limiter.RecordFailure(_client);
        Assert.True(limiter.TrackedClients < 100, $"{limiter.TrackedClients} clients still tracked");
    }
}
