using System.Net;
using Datacake.Streams.Ingest.Webhooks;
using Microsoft.Extensions.Time.Testing;

namespace Datacake.Streams.UnitTests.Webhooks;

public class FailedAuthenticationLimiterTests
{
    private static readonly IPAddress _client = IPAddress.Parse("203.0.113.7");
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2024, 5, 14, 9, 0, 0, TimeSpan.Zero));

    [Fact]
    public void An_address_is_blocked_after_its_failures_until_the_window_ends()
    {
        var limiter = new FailedAuthenticationLimiter(_clock, maxFailures: 3, TimeSpan.FromMinutes(1), maxTrackedClients: 100);
        for (var i = 0; i < 3; i++)
        {
            Assert.False(limiter.IsBlocked(_client, out _));
            limiter.RecordFailure(_client);
        }

        Assert.True(limiter.IsBlocked(_client, out var retryAfter));
        Assert.Equal(TimeSpan.FromMinutes(1), retryAfter);
        Assert.False(limiter.IsBlocked(IPAddress.Parse("203.0.113.8"), out _));

        _clock.Advance(TimeSpan.FromSeconds(45));
        Assert.True(limiter.IsBlocked(_client, out retryAfter));
        Assert.Equal(TimeSpan.FromSeconds(15), retryAfter);

        _clock.Advance(TimeSpan.FromSeconds(15));
        Assert.False(limiter.IsBlocked(_client, out _));

        // A new window starts counting from one again.
        limiter.RecordFailure(_client);
        Assert.False(limiter.IsBlocked(_client, out _));
    }

    [Fact]
    public void Tracked_addresses_stay_bounded_under_a_spray()
    {
        var limiter = new FailedAuthenticationLimiter(_clock, maxFailures: 1, TimeSpan.FromMinutes(1), maxTrackedClients: 100);
        for (var i = 0; i < 1_000; i++)
        {
            limiter.RecordFailure(new IPAddress(BitConverter.GetBytes(0x0a000000 + i)));
        }

        Assert.InRange(limiter.TrackedClients, 1, 100);

        // The most recent offender is still blocked.
        Assert.True(limiter.IsBlocked(new IPAddress(BitConverter.GetBytes(0x0a000000 + 999)), out _));
    }

    [Fact]
    public void Options_defaults_are_valid_and_nonsense_is_refused()
    {
        var validator = new WebhookIngestOptionsValidator();
        Assert.True(validator.Validate(null, new WebhookIngestOptions()).Succeeded);
        Assert.Equal(256 * 1024, new WebhookIngestOptions().MaxBodyBytes);

        var bad = validator.Validate(null, new WebhookIngestOptions { MaxBodyBytes = 0, SignatureTolerance = TimeSpan.Zero, MaxFailuresPerWindow = 0 });
        Assert.True(bad.Failed);
        Assert.Contains("MaxBodyBytes", bad.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("SignatureTolerance", bad.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("MaxFailuresPerWindow", bad.FailureMessage, StringComparison.Ordinal);
    }
}
