using System.Net;
using static Datacake.Streams.IntegrationTests.EndToEnd.UplinkBodies;

namespace Datacake.Streams.IntegrationTests.EndToEnd;

/// <summary>
/// The same message arriving more than once, through the real executable: each kind of duplicate gives one set of
/// points in influxd, and again after the host was killed and restarted on the same data folder (the dedup and
/// replay state of processing is on disk).
/// </summary>
/// <remarks>
/// Where the copies would write different points if they were not recognised, they do: HTTP and MQTT bodies without
/// a time take the receive time (a second copy is a second point), and the TTS copies differ in their gateway (the
/// meta point would take the last copy's RSSI). A Standard Webhooks retry is byte-identical: its proof is the
/// processor's duplicate count and the absence of a dead letter.
/// </remarks>
[Collection(EndToEndCollection.Name)]
public sealed class DuplicateTests(EndToEndHost e2e)
{
    private const string TtsSession = "AZ3kQ9s1k8mV7xTz0pL3nB==";
    private const ushort MqttPacketId = 7;
    private const string MqttPayload = """{"pressure":1013.25}""";
    private const string HttpBody = """{"flow":3.5}""";

    private static readonly Gateway[] _gateways =
    [
        new("barn-roof-gw", "B827EBFFFE61A3C4", -71, 9.5),
        new("silo-gw", "B827EBFFFE61A3C5", -88, 4.25),
        new("ridge-gw", "B827EBFFFE61A3C6", -113, -6.5),
    ];

    [Fact]
    [Trait("Reliability", "kill-between-append-and-reply")]
    [Trait("Reliability", "dedup-replay-properties")]
    public async Task Every_kind_of_duplicate_gives_one_set_of_points_also_after_a_restart()
    {
        var tts = await e2e.NewDeviceAsync("Three-gateway probe", devEui: "70B3D57ED006" + System.Security.Cryptography.RandomNumberGenerator.GetHexString(4));
        var ttsWebhook = await e2e.NewWebhookAsync("tts", signed: false, tts);
        var chirpstack = await e2e.NewDeviceAsync("Retried probe", devEui: "A84041000182" + System.Security.Cryptography.RandomNumberGenerator.GetHexString(4));
        var chirpstackWebhook = await e2e.NewWebhookAsync("chirpstack", signed: true, chirpstack);
        var mqtt = await e2e.NewDeviceAsync("Redelivering meter");
        var http = await e2e.NewDeviceAsync("Retrying pump");

        var uplinkTime = DateTimeOffset.UtcNow.AddMinutes(-1).AddTicks(5550001);
        var ttsCopies = _gateways.Select(g => Tts(tts.DevEui!, TtsSession, 42, uplinkTime, temperature: 20.5, humidity: 50, g)).ToArray();
        var chirpstackBody = ChirpStackUp(Guid.NewGuid().ToString(), chirpstack.DevEui!, "01fe7b3c", 9, uplinkTime, temperature: 17.25, rssi: -77);
        var webhookMessageId = "msg_" + Guid.NewGuid().ToString("N");
        var mqttClientId = "meter-" + Guid.NewGuid().ToString("N")[..8];
        var idempotencyKey = "pump-reading-" + Guid.NewGuid().ToString("N");

        // The TTS uplink heard by three gateways: three deliveries, same DevEUI + session + f_cnt, other rx_metadata.
        await Senders.AcceptedAsync(() => Senders.WebhookAsync(e2e.Host.Http, ttsWebhook, ttsCopies[0]), "the TTS webhook");
        foreach (var copy in ttsCopies[1..])
        {
            Assert.Equal(HttpStatusCode.Accepted, (await Senders.WebhookAsync(e2e.Host.Http, ttsWebhook, copy)).Status);
        }

        // A signed ChirpStack delivery, and its retry (same webhook-id, new timestamp and signature) once the first
        // is written, so that the retry meets the written state rather than the batch of the first.
        await Senders.AcceptedAsync(() => Senders.WebhookAsync(e2e.Host.Http, chirpstackWebhook, chirpstackBody, "?event=up", webhookMessageId), "the signed ChirpStack webhook");
        await e2e.Influx.WaitForPointsAsync(chirpstack.Id, 1);
        Assert.Equal(HttpStatusCode.Accepted, (await Senders.WebhookAsync(e2e.Host.Http, chirpstackWebhook, chirpstackBody, "?event=up", webhookMessageId)).Status);

        // MQTT QoS 1: PUBLISH, the device vanishes without DISCONNECT (it never saw the PUBACK), reconnects on its
        // persistent session and sends the same PUBLISH again with DUP and the same packet id.
        await using (var first = await MqttWire.ConnectAcceptedAsync(e2e.MqttPort, mqttClientId, mqtt.Token))
        {
            await first.PublishQos1Async($"devices/{mqtt.Id}/measurements", MqttPayload, MqttPacketId);
        }

        await RedeliverMqttAsync(mqtt, mqttClientId);

        // HTTP: a client that did not get its 202 sends the request again with the same Idempotency-Key.
        await Senders.AcceptedAsync(() => Senders.MeasurementAsync(e2e.Host.Http, http, HttpBody, idempotencyKey), "the device token");
        Assert.Equal(HttpStatusCode.Accepted, (await Senders.MeasurementAsync(e2e.Host.Http, http, HttpBody, idempotencyKey)).Status);

        await e2e.WaitForDuplicatesAsync(2 + 1 + 1 + 1);
        var before = await OneSetOfPointsAsync(tts, chirpstack, mqtt, http, uplinkTime);

        // Killed and started again on the same data folder: every duplicate sent once more.
        await e2e.RestartAsync();
        foreach (var copy in ttsCopies)
        {
            await Senders.AcceptedAsync(() => Senders.WebhookAsync(e2e.Host.Http, ttsWebhook, copy), "the TTS webhook after the restart");
        }

        await Senders.AcceptedAsync(() => Senders.WebhookAsync(e2e.Host.Http, chirpstackWebhook, chirpstackBody, "?event=up", webhookMessageId), "the ChirpStack retry after the restart");
        await RedeliverMqttAsync(mqtt, mqttClientId);
        await Senders.AcceptedAsync(() => Senders.MeasurementAsync(e2e.Host.Http, http, HttpBody, idempotencyKey), "the HTTP retry after the restart");

        await e2e.WaitForDuplicatesAsync(3 + 1 + 1 + 1);
        var after = await OneSetOfPointsAsync(tts, chirpstack, mqtt, http, uplinkTime);
        Assert.Equal(before, after);
    }

    /// <summary>
    /// Reconnects and resends with DUP until a PUBACK comes, as a device keeps an unacknowledged message: a connection
    /// the broker closes before the PUBACK (seen now and then right after a session takeover) means resend again.
    /// </summary>
    private async Task RedeliverMqttAsync(TestDevice mqtt, string clientId) =>
        await Until.Async(
            async () =>
            {
                await using var again = await MqttWire.ConnectAcceptedAsync(e2e.MqttPort, clientId, mqtt.Token);
                try
                {
                    await again.PublishQos1Async($"devices/{mqtt.Id}/measurements", MqttPayload, MqttPacketId, duplicate: true);
                    return true;
                }
                catch (IOException)
                {
                    return false;
                }
            },
            acknowledged => acknowledged,
            "a PUBACK for the redelivered PUBLISH");

    /// <summary>Asserts one point per device (the TTS meta point from the first gateway's copy), no dead letter; returns the point times.</summary>
    private async Task<string> OneSetOfPointsAsync(TestDevice tts, TestDevice chirpstack, TestDevice mqtt, TestDevice http, DateTimeOffset uplinkTime)
    {
        var ttsValues = Assert.Single(await e2e.Influx.WaitForPointsAsync(tts.Id, 1));
        Assert.Equal(UnixNs(uplinkTime), ttsValues.TimeNs);
        var ttsMeta = Assert.Single(await e2e.Influx.WaitForPointsAsync(tts.Id, 1, "meta"));
        Assert.Equal(_gateways[0].Rssi, ttsMeta.Number("rssi"));
        Assert.Equal(_gateways[0].Snr, ttsMeta.Number("snr"));
        Assert.Equal(1, ttsMeta.Number("gateways"));
        var chirpstackValues = Assert.Single(await e2e.Influx.WaitForPointsAsync(chirpstack.Id, 1));
        Assert.Equal(UnixNs(uplinkTime), chirpstackValues.TimeNs);
        var mqttValues = Assert.Single(await e2e.Influx.WaitForPointsAsync(mqtt.Id, 1));
        Assert.Equal(1013.25, mqttValues.Number("pressure"));
        var httpValues = Assert.Single(await e2e.Influx.WaitForPointsAsync(http.Id, 1));
        Assert.Equal(3.5, httpValues.Number("flow"));
        foreach (var device in new[] { tts, chirpstack, mqtt, http })
        {
            Assert.Empty(e2e.DeadLettersOf(device.Id));
        }

        return $"{ttsValues.TimeNs} {chirpstackValues.TimeNs} {mqttValues.TimeNs} {httpValues.TimeNs}";
    }
}
