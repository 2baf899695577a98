using System.Net;
using static Datacake.Streams.IntegrationTests.EndToEnd.UplinkBodies;

namespace Datacake.Streams.IntegrationTests.EndToEnd;

/// <summary>
/// Replays through the real executable: ingest accepts them (they are well-formed and authenticated), processing
/// dead-letters each with its reason, and nothing of them reaches influxd.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class ReplayTests(EndToEndHost e2e)
{
    private const string Session = "AX1kQ9s1k8mV7xTz0pL3nC==";

    [Fact]
    [Trait("Reliability", "lorawan")]
    public async Task An_uplink_with_an_old_frame_counter_is_dead_lettered_as_replayed()
    {
        var device = await e2e.NewDeviceAsync("Counter probe", devEui: "70B3D57ED007" + System.Security.Cryptography.RandomNumberGenerator.GetHexString(4));
        var webhook = await e2e.NewWebhookAsync("tts", signed: false, device);
        var gateway = new Gateway("barn-roof-gw", "B827EBFFFE61A3C4", -90, 5);
        var time = DateTimeOffset.UtcNow.AddMinutes(-2);
        await Senders.AcceptedAsync(() => Senders.WebhookAsync(e2e.Host.Http, webhook, Tts(device.DevEui!, Session, 100, time, 20, 40, gateway)), "the TTS webhook");
        await e2e.Influx.WaitForPointsAsync(device.Id, 1);

        // A recorded frame 99 of the same session, sent again later: a new message id, a lower counter.
        var replay = Tts(device.DevEui!, Session, 99, time.AddMinutes(1), 35, 90, gateway);
        Assert.Equal(HttpStatusCode.Accepted, (await Senders.WebhookAsync(e2e.Host.Http, webhook, replay)).Status);

        var (reason, detail) = Assert.Single(await e2e.WaitForDeadLettersAsync(device.Id, 1));
        Assert.Equal("replayed", reason);
        Assert.Contains("frame counter 99", detail, StringComparison.Ordinal);
        var point = Assert.Single(await e2e.Influx.PointsAsync(device.Id));
        Assert.Equal(UnixNs(time), point.TimeNs);
        Assert.Equal(20, point.Number("temperature"));
    }

    [Fact]
    [Trait("Reliability", "webhook-replay")]
    public async Task A_reused_webhook_id_is_dead_lettered_as_replayed_and_a_stale_signature_is_refused_at_ingest()
    {
        var device = await e2e.NewDeviceAsync("Signed probe", devEui: "70B3D57ED008" + System.Security.Cryptography.RandomNumberGenerator.GetHexString(4));
        var webhook = await e2e.NewWebhookAsync("tts", signed: true, device);
        var gateway = new Gateway("barn-roof-gw", "B827EBFFFE61A3C4", -90, 5);
        var time = DateTimeOffset.UtcNow.AddMinutes(-2);
        var webhookId = "msg_" + Guid.NewGuid().ToString("N");
        await Senders.AcceptedAsync(() => Senders.WebhookAsync(e2e.Host.Http, webhook, Tts(device.DevEui!, Session, 10, time, 20, 40, gateway), webhookId: webhookId), "the signed TTS webhook");
        await e2e.Influx.WaitForPointsAsync(device.Id, 1);

        // Another message (next frame, other values) under the webhook-id already used, correctly signed: within the
        // webhook-id window (11 minutes by default) the id may not be used for anything else.
        var reused = Tts(device.DevEui!, Session, 11, time.AddMinutes(1), 35, 90, gateway);
        Assert.Equal(HttpStatusCode.Accepted, (await Senders.WebhookAsync(e2e.Host.Http, webhook, reused, webhookId: webhookId)).Status);
        var (reason, detail) = Assert.Single(await e2e.WaitForDeadLettersAsync(device.Id, 1));
        Assert.Equal("replayed", reason);
        Assert.Contains(webhookId, detail, StringComparison.Ordinal);

        // Past the window the signature's timestamp is stale: ingest refuses it and stores nothing.
        var late = Tts(device.DevEui!, Session, 12, time.AddMinutes(1.5), 36, 91, gateway);
        var (status, body) = await Senders.WebhookAsync(e2e.Host.Http, webhook, late, webhookId: webhookId, signedAt: DateTimeOffset.UtcNow.AddMinutes(-6));
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Contains("stale", body, StringComparison.Ordinal);

        var point = Assert.Single(await e2e.Influx.PointsAsync(device.Id));
        Assert.Equal(UnixNs(time), point.TimeNs);
        Assert.Single(e2e.DeadLettersOf(device.Id));
    }

    [Fact]
    public async Task Points_older_than_the_raw_retention_or_ahead_of_now_are_dead_lettered_and_not_written()
    {
        var device = await e2e.NewDeviceAsync("Wrong clock");
        var stale = DateTimeOffset.UtcNow.AddDays(-31);
        var ahead = DateTimeOffset.UtcNow.AddMinutes(30);
        await Senders.AcceptedAsync(() => Senders.MeasurementAsync(e2e.Host.Http, device, $$$"""[{"time":"{{{Rfc3339(stale)}}}","values":{"temperature":9}}]"""), "the device token");
        var (status, _) = await Senders.MeasurementAsync(e2e.Host.Http, device, $$$"""[{"time":"{{{Rfc3339(ahead)}}}","values":{"temperature":10}}]""");
        Assert.Equal(HttpStatusCode.Accepted, status);

        var letters = await e2e.WaitForDeadLettersAsync(device.Id, 2);
        // Two batches may finish in either order: the reasons as a set.
        Assert.Equal(["too_far_in_future", "too_old"], letters.Select(l => l.Reason).Order().ToArray());
        Assert.Empty(await e2e.Influx.PointsAsync(device.Id));
    }
}
