using System.Globalization;
using Datacake.Streams.IntegrationTests.Services;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;
using static Datacake.Streams.IntegrationTests.EndToEnd.UplinkBodies;

namespace Datacake.Streams.IntegrationTests.EndToEnd;

/// <summary>
/// MQTT client ids and sessions between two tenants, through the real executable: tenant B, with only its own valid
/// device token, tries tenant A's client id while A's device is connected. Every tenant is a user of its own with its
/// own workspace, device and device token, made through the HTTP API.
/// </summary>
/// <remarks>
/// A's points are counted exactly in influxd. B's attempt is placed between two points of A: records of one device
/// are processed in log order (the log is keyed by device id), so once A's later point is stored, B's would be too had
/// ingest taken it.
/// </remarks>
[Collection(EndToEndCollection.Name)]
public sealed class MqttTenancyTests(EndToEndHost e2e)
{
    [Fact]
    [Trait("Reliability", "mqtt-abuse")]
    public async Task Another_tenant_reusing_a_client_id_with_a_persistent_session_neither_resumes_it_nor_writes_into_its_device()
    {
        var a = await e2e.NewDeviceAsync("Tenant A boiler");
        var b = await e2e.NewOtherTenantsDeviceAsync("Tenant B boiler");
        var clientId = "boiler-" + Guid.NewGuid().ToString("N")[..8];
        var start = DateTimeOffset.UtcNow.AddMinutes(-2).AddTicks(1234567);
        await AcceptedAsync(b);

        await using var deviceA = await MqttWire.ConnectAcceptedAsync(e2e.MqttPort, clientId, a.Token);
        await deviceA.PublishQos1Async(TopicOf(a), Reading(start, 1), packetId: 1);

        // 3.1.1, clean session off, A's client id, B's own token: accepted into B's own session, not A's.
        var (intruder, code) = await MqttWire.ConnectAsync(e2e.MqttPort, clientId, b.Token, cleanSession: false);
        await using (intruder)
        {
            Assert.Equal(0, code);
            Assert.False(intruder.SessionPresent, "B resumed A's session");
            Assert.True(await deviceA.PingAsync(), "A was taken over by B");
            await intruder.PublishQos1RefusedAsync(TopicOf(a), Reading(start.AddSeconds(1), 666), packetId: 2);
        }

        // The 3.1.1 intruder left a session of its own behind (clean session off keeps it, MQTT-3.1.2-4); a clean
        // connection of B ends it, so that "session present" below could only mean A's.
        var (cleaner, cleanCode) = await MqttWire.ConnectAsync(e2e.MqttPort, clientId, b.Token, cleanSession: true);
        await using (cleaner)
        {
            Assert.Equal(0, cleanCode);
            await cleaner.DisconnectAsync();
        }

        // v5, clean start off, the same: PUBACK 0x87, and A is still there.
        using (var intruderV5 = new MqttClientFactory().CreateMqttClient())
        {
            var connected = await intruderV5.ConnectAsync(Options(clientId, b.Token, cleanSession: false));
            Assert.Equal(MqttClientConnectResultCode.Success, connected.ResultCode);
            Assert.False(connected.IsSessionPresent, "B resumed A's session");
            var refused = await intruderV5.PublishAsync(Message(TopicOf(a), Reading(start.AddSeconds(2), 667)));
            Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, refused.ReasonCode);
            Assert.True(await deviceA.PingAsync(), "A was taken over by B");

            // B's own device under the same client id works: the id is B's too, within B's credential.
            var own = await intruderV5.PublishAsync(Message(TopicOf(b), Reading(start.AddSeconds(3), 7)));
            Assert.Equal(MqttClientPublishReasonCode.Success, own.ReasonCode);
        }

        await deviceA.PublishQos1Async(TopicOf(a), Reading(start.AddSeconds(4), 3), packetId: 3);
        var points = await e2e.Influx.WaitForPointsAsync(a.Id, 2);
        Assert.Equal([UnixNs(start), UnixNs(start.AddSeconds(4))], points.Select(p => p.TimeNs).ToArray());
        Assert.Equal([1.0, 3.0], points.Select(p => p.Number("sequence")).ToArray());
        var pointsOfB = await e2e.Influx.WaitForPointsAsync(b.Id, 1);
        Assert.Equal([7.0], pointsOfB.Select(p => p.Number("sequence")).ToArray());
    }

    [Fact]
    public async Task Another_tenant_reusing_a_client_id_with_a_clean_session_cannot_disconnect_the_device()
    {
        var a = await e2e.NewDeviceAsync("Tenant A meter");
        var b = await e2e.NewOtherTenantsDeviceAsync("Tenant B meter");
        var clientId = "meter-" + Guid.NewGuid().ToString("N")[..8];
        var start = DateTimeOffset.UtcNow.AddMinutes(-2).AddTicks(7654321);
        await AcceptedAsync(b);

        await using var deviceA = await MqttWire.ConnectAcceptedAsync(e2e.MqttPort, clientId, a.Token);
        await deviceA.PublishQos1Async(TopicOf(a), Reading(start, 1), packetId: 1);

        // CONNACK comes after MQTTnet closed a taken-over connection: a PINGRESP to A after it proves A was not.
        var (intruder, code) = await MqttWire.ConnectAsync(e2e.MqttPort, clientId, b.Token, cleanSession: true);
        await using (intruder)
        {
            Assert.Equal(0, code);
            Assert.True(await deviceA.PingAsync(), "a clean session of B disconnected A (3.1.1)");
        }

        using (var intruderV5 = new MqttClientFactory().CreateMqttClient())
        {
            Assert.Equal(MqttClientConnectResultCode.Success, (await intruderV5.ConnectAsync(Options(clientId, b.Token, cleanSession: true))).ResultCode);
            Assert.True(await deviceA.PingAsync(), "a clean session of B disconnected A (v5)");
        }

        await deviceA.PublishQos1Async(TopicOf(a), Reading(start.AddSeconds(1), 2), packetId: 2);
        var points = await e2e.Influx.WaitForPointsAsync(a.Id, 2);
        Assert.Equal([1.0, 2.0], points.Select(p => p.Number("sequence")).ToArray());
    }

    [Fact]
    public async Task Mosquitto_pub_with_its_defaults_gets_a_client_id_assigned_and_its_point_is_stored()
    {
        var device = await e2e.NewDeviceAsync("Defaults sensor");
        await AcceptedAsync(device);

        // MQTT 3.1.1, clean session, empty client id: nothing but host, port, credentials, topic, message and QoS.
        var result = await ExternalCommand.RunAsync("mosquitto_pub", TimeSpan.FromSeconds(20),
            "-h", "127.0.0.1", "-p", e2e.MqttPort.ToString(CultureInfo.InvariantCulture), "-u", "x", "-P", device.Token,
            "-t", TopicOf(device), "-m", """{"temperature":1}""", "-q", "1");
        Assert.True(result.ExitCode == 0, $"mosquitto_pub exited {result.ExitCode}: {result.Error}");

        var point = Assert.Single(await e2e.Influx.WaitForPointsAsync(device.Id, 1));
        Assert.Equal(1.0, point.Number("temperature"));
    }

    [Fact]
    public async Task The_same_credential_reconnecting_with_its_client_id_takes_its_session_over()
    {
        var device = await e2e.NewDeviceAsync("Reconnecting logger");
        var clientId = "logger-" + Guid.NewGuid().ToString("N")[..8];
        var start = DateTimeOffset.UtcNow.AddMinutes(-2).AddTicks(2468013);

        await using var first = await MqttWire.ConnectAcceptedAsync(e2e.MqttPort, clientId, device.Token);
        await first.PublishQos1Async(TopicOf(device), Reading(start, 1), packetId: 1);

        // Normal MQTT: the newer connection of the same client takes the session over and the older one is closed.
        var (second, code) = await MqttWire.ConnectAsync(e2e.MqttPort, clientId, device.Token, cleanSession: false);
        await using (second)
        {
            Assert.Equal(0, code);
            Assert.True(second.SessionPresent, "the session of the same credential and client id was not resumed");
            Assert.False(await first.PingAsync(), "the taken-over connection is still open");
            await second.PublishQos1Async(TopicOf(device), Reading(start.AddSeconds(1), 2), packetId: 2);
        }

        // And after a drop without DISCONNECT, as a device losing power would.
        await using (var third = await MqttWire.ConnectAcceptedAsync(e2e.MqttPort, clientId, device.Token))
        {
            await third.PublishQos1Async(TopicOf(device), Reading(start.AddSeconds(2), 3), packetId: 3);
        }

        var points = await e2e.Influx.WaitForPointsAsync(device.Id, 3);
        Assert.Equal([1.0, 2.0, 3.0], points.Select(p => p.Number("sequence")).ToArray());
    }

    private static string TopicOf(TestDevice device) => $"devices/{device.Id}/measurements";

    private static string Reading(DateTimeOffset time, int sequence) =>
        $$$"""[{"time":"{{{Rfc3339(time)}}}","values":{"sequence":{{{sequence}}} }}]""";

    /// <summary>Waits until the broker knows the device token (it reaches ingest through dcs.registry), on an id of its own.</summary>
    private async Task AcceptedAsync(TestDevice device) =>
        await (await MqttWire.ConnectAcceptedAsync(e2e.MqttPort, "probe-" + Guid.NewGuid().ToString("N")[..8], device.Token, cleanSession: true)).DisposeAsync();

    private MqttClientOptions Options(string clientId, string token, bool cleanSession) =>
        new MqttClientOptionsBuilder()
            .WithTcpServer("127.0.0.1", e2e.MqttPort)
            .WithProtocolVersion(MqttProtocolVersion.V500)
            .WithClientId(clientId)
            .WithCleanStart(cleanSession)
            .WithSessionExpiryInterval(cleanSession ? 0u : 300u)
            .WithCredentials("x", token)
            .WithTimeout(TimeSpan.FromSeconds(10))
            .Build();

    private static MqttApplicationMessage Message(string topic, string payload) =>
        new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(payload).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build();
}
