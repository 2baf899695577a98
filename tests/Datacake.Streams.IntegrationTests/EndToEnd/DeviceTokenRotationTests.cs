using System.Net;
using static Datacake.Streams.IntegrationTests.EndToEnd.UplinkBodies;

namespace Datacake.Streams.IntegrationTests.EndToEnd;

/// <summary>
/// Issue 17, through the real executable: a rotated device token (the credential devices present on HTTP and MQTT)
/// keeps working on every edge for the grace its owner gave, and is refused on every edge after it.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class DeviceTokenRotationTests(EndToEndHost e2e)
{
    private static readonly TimeSpan _grace = TimeSpan.FromSeconds(4);

    [Fact]
    public async Task A_rotated_device_token_works_during_its_grace_on_http_mqtt_and_the_api_and_is_refused_on_all_three_after_it()
    {
        var device = await e2e.NewDeviceAsync("Rotated meter");
        var start = DateTimeOffset.UtcNow.AddMinutes(-1);
        await Senders.AcceptedAsync(() => Senders.MeasurementAsync(e2e.Host.Http, device, Reading(start, 1)), "the device token before the rotation");

        var rotatedAt = DateTimeOffset.UtcNow;
        var rotated = await e2e.Api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Post, $"/v1/tokens/{device.TokenId}/rotate", e2e.OwnerToken, new { graceSeconds = (int)_grace.TotalSeconds });
        var replacement = device with { Token = rotated.Str("token") };

        // During the grace the old secret is the device on every edge (each check made before the grace can have ended).
        Assert.Equal(HttpStatusCode.Accepted, (await Senders.MeasurementAsync(e2e.Host.Http, device, Reading(start.AddSeconds(1), 2))).Status);
        await using (var mqtt = await MqttWire.ConnectAcceptedAsync(e2e.MqttPort, "rotating-" + Guid.NewGuid().ToString("N")[..8], device.Token, cleanSession: true))
        {
            await mqtt.PublishQos1Async($"devices/{device.Id}/measurements", Reading(start.AddSeconds(2), 3), packetId: 1);
        }

        Assert.Equal(HttpStatusCode.OK, (await e2e.Api.SendAsync(HttpMethod.Get, $"/v1/devices/{device.Id}/last", device.Token)).Status);
        Assert.True(DateTimeOffset.UtcNow < rotatedAt + _grace, "the grace ended before every edge was tried: a slower machine needs a longer grace here");
        Assert.Equal(HttpStatusCode.Accepted, (await Senders.MeasurementAsync(e2e.Host.Http, replacement, Reading(start.AddSeconds(3), 4))).Status);

        // After it: refused on HTTP first (polled), then on MQTT and the API; the new secret goes on.
        var refused = await Until.Async(
            () => Senders.MeasurementAsync(e2e.Host.Http, device, Reading(start.AddSeconds(4), 5)),
            answer => answer.Status != HttpStatusCode.Accepted,
            "HTTP ingest refusing the rotated-out token");
        Assert.Equal(HttpStatusCode.Unauthorized, refused.Status);
        Assert.True(DateTimeOffset.UtcNow >= rotatedAt + _grace - TimeSpan.FromMilliseconds(50), "refused before its grace ended");
        var (connection, code) = await MqttWire.ConnectAsync(e2e.MqttPort, "rotated-" + Guid.NewGuid().ToString("N")[..8], device.Token, cleanSession: true);
        await connection.DisposeAsync();
        Assert.NotEqual(0, code);
        Assert.Equal(HttpStatusCode.Unauthorized, (await e2e.Api.SendAsync(HttpMethod.Get, $"/v1/devices/{device.Id}/last", device.Token)).Status);
        Assert.Equal(HttpStatusCode.Accepted, (await Senders.MeasurementAsync(e2e.Host.Http, replacement, Reading(start.AddSeconds(5), 6))).Status);
        await using (var mqtt = await MqttWire.ConnectAcceptedAsync(e2e.MqttPort, "rotated-new-" + Guid.NewGuid().ToString("N")[..8], replacement.Token, cleanSession: true))
        {
            await mqtt.PublishQos1Async($"devices/{device.Id}/measurements", Reading(start.AddSeconds(6), 7), packetId: 1);
        }
    }
}
