using Datacake.Streams.EdgeAuth;
using Datacake.Streams.Ingest.Webhooks;
using Datacake.Streams.Processing.Replay;
using Datacake.Streams.UnitTests.Payloads.Networks;
using Microsoft.Extensions.Configuration;

namespace Datacake.Streams.UnitTests.Ingest.Webhooks;

/// <summary>
/// Ingest's Standard Webhooks tolerance against processing's webhook-id memory, on one fake clock: a signed request
/// dated as far ahead as the tolerance allows is accepted by ingest for two tolerances, and every copy ingest lets
/// through in that time must meet a processor that still remembers its id.
/// </summary>
public sealed class WebhookIdMemoryTests
{
    private static readonly TimeSpan Step = TimeSpan.FromSeconds(5);

    [Theory]
    [InlineData(5)]
    [InlineData(20)]
    public async Task A_future_dated_signed_request_cannot_be_replayed_while_it_is_inside_the_tolerance(int toleranceMinutes)
    {
        var tolerance = TimeSpan.FromMinutes(toleranceMinutes);
        var rig = new WebhookRig(options: new WebhookIngestOptions { SignatureTolerance = tolerance });
        var guard = new ReplayGuard(new ReplayGuardOptions { WebhookIdWindow = WebhookIdMemory.WindowFor(tolerance) }, rig.Clock);
        var body = Fixture.Bytes("tts-uplink.json");
        var start = rig.Clock.GetUtcNow();
        var replayed = rig.SignatureHeaders("msg_ahead", body, start + tolerance);

        Assert.Equal(202, (await rig.PostAsync("wh_signed", rig.SignedToken.Secret, body, headers: replayed)).Status);
        var first = Assert.Single(rig.Appended()).Record;
        Assert.Equal(ReplayVerdict.Accepted, guard.Check(first));
        guard.Accept(first);

        var copiesIngestTookIn = 0;
        var lastTakenAt = start;
        for (var step = 1; rig.Clock.GetUtcNow() <= start + (2 * tolerance) + TimeSpan.FromSeconds(30); step++)
        {
            rig.Clock.Advance(Step);

            // Other traffic of the partition moves the receive-time horizon on, as it would in production.
            var other = await rig.PostAsync("wh_signed", rig.SignedToken.Secret, body, headers: rig.SignatureHeaders($"msg_other_{step}", body));
            Assert.Equal(202, other.Status);
            guard.Accept(Assert.Single(rig.Appended()).Record);

            var copy = await rig.PostAsync("wh_signed", rig.SignedToken.Secret, body, headers: replayed);
            if (copy.Status == 401)
            {
                Assert.Contains("stale", copy.Body, StringComparison.Ordinal);
                continue;
            }

            Assert.Equal(202, copy.Status);
            var record = Assert.Single(rig.Appended()).Record;
            Assert.True(guard.HasSeenWebhookId(record), $"the webhook-id was forgotten {rig.Clock.GetUtcNow() - start} after its first delivery");
            Assert.Equal(ReplayVerdict.Replayed, guard.Check(record));
            copiesIngestTookIn++;
            lastTakenAt = rig.Clock.GetUtcNow();
        }

        // The loop really reached the far edge: ingest still took copies almost two tolerances later.
        Assert.True(lastTakenAt - start >= (2 * tolerance) - Step, $"last copy taken {lastTakenAt - start} after the first");
        Assert.True(copiesIngestTookIn > 0);
    }

    [Fact]
    public void A_memory_shorter_than_twice_the_tolerance_fails_the_start_on_either_role()
    {
        var raisedTolerance = Configuration((WebhookIdMemory.ToleranceKey, "00:10:00"));
        var replay = new ReplayGuardOptionsValidator(raisedTolerance).Validate(null, new ReplayGuardOptions());
        Assert.True(replay.Failed);
        Assert.Contains("00:21:00", replay.FailureMessage, StringComparison.Ordinal);
        Assert.True(new ReplayGuardOptionsValidator(raisedTolerance).Validate(null, new ReplayGuardOptions { WebhookIdWindow = TimeSpan.FromMinutes(21) }).Succeeded);

        // The window the issue found (5 minutes for a ±5 minute tolerance) is refused.
        Assert.True(new ReplayGuardOptionsValidator().Validate(null, new ReplayGuardOptions { WebhookIdWindow = TimeSpan.FromMinutes(5) }).Failed);
        Assert.True(new ReplayGuardOptionsValidator().Validate(null, new ReplayGuardOptions()).Succeeded);

        var ingest = new WebhookIngestOptionsValidator(Configuration()).Validate(null, new WebhookIngestOptions { SignatureTolerance = TimeSpan.FromMinutes(6) });
        Assert.True(ingest.Failed);
        Assert.True(new WebhookIngestOptionsValidator(Configuration((WebhookIdMemory.WindowKey, "00:13:00")))
            .Validate(null, new WebhookIngestOptions { SignatureTolerance = TimeSpan.FromMinutes(6) }).Succeeded);
        Assert.True(new WebhookIngestOptionsValidator().Validate(null, new WebhookIngestOptions()).Succeeded);
    }

    private static IConfiguration Configuration(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build();
}
