using Datacake.Streams.Ingest.Quotas;
using Datacake.Streams.Problems;
using Datacake.Streams.UnitTests.Payloads.Networks;

namespace Datacake.Streams.UnitTests.Ingest.Webhooks;

/// <summary>Webhook ingest over the workspace's ingest quota: 429 with Retry-After and a problem, nothing appended.</summary>
public sealed class WebhookQuotaTests
{
    private readonly WebhookRig _rig = new(quota: new IngestQuotaOptions { PointsPerSecond = 1, Burst = 2 });

    [Fact]
    public async Task An_uplink_over_the_quota_is_refused_before_the_append_and_passes_once_it_refilled()
    {
        var body = Fixture.Bytes("tts-uplink.json");
        Assert.Equal(202, (await _rig.PostAsync("wh_tts", _rig.TtsToken.Secret, body)).Status);
        Assert.Equal(202, (await _rig.PostAsync("wh_helium", _rig.HeliumToken.Secret, Fixture.Bytes("helium-uplink.json"))).Status);

        // The third uplink of the workspace in the same second, through another webhook: the quota is the workspace's.
        var refused = await _rig.PostAsync("wh_tts", _rig.TtsToken.Secret, body);
        Assert.Equal(429, refused.Status);
        Assert.Equal("1", refused.RetryAfter);
        Assert.Contains(ProblemTypes.QuotaExceeded, refused.Body, StringComparison.Ordinal);
        Assert.Equal(2, _rig.Appended().Count);

        _rig.Clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(202, (await _rig.PostAsync("wh_tts", _rig.TtsToken.Secret, body)).Status);
        Assert.Single(_rig.Appended());
    }
}
