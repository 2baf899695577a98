using System.Globalization;
using System.Net;
using Datacake.Streams.IntegrationTests.Services;
using static Datacake.Streams.IntegrationTests.EndToEnd.UplinkBodies;

namespace Datacake.Streams.IntegrationTests.EndToEnd;

/// <summary>
/// Every ingest adapter of the real executable, through the embedded log and processing, to the shared influxd:
/// values, the device id as the only tag, and point times checked to the nanosecond by asking influxd directly.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class AdapterToInfluxTests(EndToEndHost e2e)
{
    private static readonly TimeSpan _commandDeadline = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task HTTP_measurements_land_with_their_own_times_or_the_receive_time()
    {
        var device = await e2e.NewDeviceAsync("Boiler room");
        var t1 = DateTimeOffset.UtcNow.AddMinutes(-3).AddTicks(1234567);
        var t2 = t1.AddSeconds(10);
        var body = $$$"""
            [{"time":"{{{Rfc3339(t1)}}}","values":{"temperature":21.5,"valve_open":true,"mode":"eco","env":{"co2":415} }},
             {"time":{{{t2.ToUnixTimeMilliseconds()}}},"values":{"temperature":21}}]
            """;
        await Senders.AcceptedAsync(() => Senders.MeasurementAsync(e2e.Host.Http, device, body), "the device token");
        var before = DateTimeOffset.UtcNow;
        var (status, _) = await Senders.MeasurementAsync(e2e.Host.Http, device, """{"temperature":22.25}""");
        var after = DateTimeOffset.UtcNow;
        Assert.Equal(HttpStatusCode.Accepted, status);

        var points = await e2e.Influx.WaitForPointsAsync(device.Id, 3);
        Assert.Equal(3, points.Count);
        Assert.Equal(UnixNs(t1), points[0].TimeNs);
        Assert.Equal(21.5, points[0].Number("temperature"));
        Assert.True(points[0].Columns["valve_open"].GetBoolean());
        Assert.Equal("eco", points[0].Columns["mode"].GetString());
        Assert.Equal(415, points[0].Number("env.co2"));
        Assert.Equal(device.Id, points[0].Columns["device"].GetString());
        Assert.Equal(t2.ToUnixTimeMilliseconds() * 1_000_000, points[1].TimeNs);
        Assert.Equal(21, points[1].Number("temperature"));

        // No time in the body: the adapter's receive time, between the request and its answer.
        Assert.InRange(points[2].TimeNs, UnixNs(before), UnixNs(after));
        Assert.Equal(22.25, points[2].Number("temperature"));
        await AssertOnlyDeviceTagAsync(device.Id);
    }

    [Fact]
    public async Task MQTTS_with_mosquitto_pub_against_the_hosts_self_signed_certificate()
    {
        var device = await e2e.NewDeviceAsync("Cold store");
        var time = DateTimeOffset.UtcNow.AddMinutes(-2).AddTicks(7654321);
        var payload = $$$"""[{"time":"{{{Rfc3339(time)}}}","values":{"co2":612,"door":false}}]""";

        // Retried until the broker knows the token (it arrives through dcs.registry); a refused CONNECT exits non-zero.
        await Until.Async(
            () => ExternalCommand.RunAsync("mosquitto_pub", _commandDeadline,
                "-h", "127.0.0.1", "-p", e2e.MqttTlsPort.ToString(CultureInfo.InvariantCulture), "--cafile", e2e.CertificateFile,
                "-V", "mqttv311", "-i", "cold-store-" + Guid.NewGuid().ToString("N")[..8], "-u", "device", "-P", device.Token,
                "-q", "1", "-t", $"devices/{device.Id}/measurements", "-m", payload),
            r => r.ExitCode == 0,
            "mosquitto_pub over TLS accepted");

        var point = Assert.Single(await e2e.Influx.WaitForPointsWithAsync(device.Id, 1, "co2", "door"));
        Assert.Equal(UnixNs(time), point.TimeNs);
        Assert.Equal(612, point.Number("co2"));
        Assert.False(point.Columns["door"].GetBoolean());
        await AssertOnlyDeviceTagAsync(device.Id);
    }

    [Fact]
    public async Task Plain_MQTT_on_loopback_QoS_1_is_written_at_the_receive_time()
    {
        var device = await e2e.NewDeviceAsync("Greenhouse");
        var clientId = "greenhouse-" + Guid.NewGuid().ToString("N")[..8];
        var before = DateTimeOffset.UtcNow;
        await using (var connection = await MqttWire.ConnectAcceptedAsync(e2e.MqttPort, clientId, device.Token))
        {
            await connection.PublishQos1Async($"devices/{device.Id}/measurements", """{"humidity":40.5,"soil":{"moisture":0.31}}""", packetId: 1);
        }

        var after = DateTimeOffset.UtcNow;
        var point = Assert.Single(await e2e.Influx.WaitForPointsAsync(device.Id, 1));
        Assert.InRange(point.TimeNs, UnixNs(before), UnixNs(after));
        Assert.Equal(40.5, point.Number("humidity"));
        Assert.Equal(0.31, point.Number("soil.moisture"));
    }

    [Fact]
    public async Task A_Things_Stack_uplink_is_written_at_the_network_servers_time_with_its_radio_metadata()
    {
        var device = await e2e.NewDeviceAsync("Orchard probe", devEui: "70B3D57ED005" + Hex(4));
        var webhook = await e2e.NewWebhookAsync("tts", signed: false, device);
        var time = DateTimeOffset.UtcNow.AddMinutes(-1).AddTicks(3120455);
        var body = Tts(Eui(device), "AY9fQ2s1k8mV7xTz0pL3nA==", 1417, time, temperature: 23.2, humidity: 21,
            new Gateway("barn-roof-gw", "B827EBFFFE61A3C4", -97, 7.25), new Gateway("silo-gw", "B827EBFFFE61A3C5", -104, 2.5));
        await Senders.AcceptedAsync(() => Senders.WebhookAsync(e2e.Host.Http, webhook, body), "the TTS webhook");

        var value = Assert.Single(await e2e.Influx.WaitForPointsAsync(device.Id, 1));
        Assert.Equal(UnixNs(time), value.TimeNs);
        Assert.Equal(23.2, value.Number("temperature"));
        Assert.Equal(21, value.Number("humidity"));
        var meta = Assert.Single(await e2e.Influx.WaitForPointsAsync(device.Id, 1, "meta"));
        Assert.Equal(UnixNs(time), meta.TimeNs);
        Assert.Equal(-97, meta.Number("rssi"));
        Assert.Equal(7.25, meta.Number("snr"));
        Assert.Equal(2, meta.Number("gateways"));
        Assert.Equal(1417, meta.Number("f_cnt"));
        Assert.Equal(2, meta.Number("f_port"));
        // The device's measurement holds its values (raw) and its metadata (meta); tag keys are indexed per database.
        await AssertOnlyDeviceTagAsync(device.Id);
    }

    [Fact]
    public async Task A_ChirpStack_up_event_is_written_at_its_time()
    {
        var device = await e2e.NewDeviceAsync("Greenhouse north probe", devEui: "A84041000181" + Hex(4));
        var webhook = await e2e.NewWebhookAsync("chirpstack", signed: false, device);
        var time = DateTimeOffset.UtcNow.AddSeconds(-40).AddTicks(7750232);
        var body = ChirpStackUp(Guid.NewGuid().ToString(), Eui(device), "01fe6a2b", 65535, time, temperature: 19.75, rssi: -61);
        await Senders.AcceptedAsync(() => Senders.WebhookAsync(e2e.Host.Http, webhook, body, "?event=up"), "the ChirpStack webhook");

        var value = Assert.Single(await e2e.Influx.WaitForPointsAsync(device.Id, 1));
        Assert.Equal(UnixNs(time), value.TimeNs);
        Assert.Equal(19.75, value.Number("temperature"));
        var meta = Assert.Single(await e2e.Influx.WaitForPointsAsync(device.Id, 1, "meta"));
        Assert.Equal(-61, meta.Number("rssi"));
        Assert.Equal(65535, meta.Number("f_cnt"));
    }

    [Fact]
    public async Task A_Helium_uplink_is_decoded_by_the_devices_CayenneLPP_decoder_at_its_reported_time()
    {
        var device = await e2e.NewDeviceAsync("Warehouse door", devEui: "6081F9A3B5D7" + Hex(4), decoder: "cayennelpp");
        var webhook = await e2e.NewWebhookAsync("helium", signed: false, device);
        var time = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.AddSeconds(-30).ToUnixTimeMilliseconds());
        var body = Helium(Guid.NewGuid().ToString(), Eui(device), "48000037", 12, time, rssi: -104);
        await Senders.AcceptedAsync(() => Senders.WebhookAsync(e2e.Host.Http, webhook, body), "the Helium webhook");

        var value = Assert.Single(await e2e.Influx.WaitForPointsAsync(device.Id, 1));
        Assert.Equal(UnixNs(time), value.TimeNs);
        Assert.Equal(23.2, value.Number("temperature_1"), 6);
        Assert.Equal(21, value.Number("humidity_2"), 6);
        var meta = Assert.Single(await e2e.Influx.WaitForPointsAsync(device.Id, 1, "meta"));
        Assert.Equal(-104, meta.Number("rssi"));
        Assert.Equal(12, meta.Number("f_cnt"));
        Assert.Equal(5, meta.Number("f_port"));
    }

    [Fact]
    public async Task A_Particle_event_is_written_at_its_published_time()
    {
        var coreId = "e00fce68" + Hex(8);
        var device = await e2e.NewDeviceAsync("Climate node", particleId: coreId);
        var webhook = await e2e.NewWebhookAsync("particle", signed: false, device);
        var time = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.AddSeconds(-20).ToUnixTimeMilliseconds());
        var body = Particle(coreId, "greenhouse/climate", time, temperature: 23.5, humidity: 41);
        await Senders.AcceptedAsync(() => Senders.WebhookAsync(e2e.Host.Http, webhook, body), "the Particle webhook");

        var value = Assert.Single(await e2e.Influx.WaitForPointsAsync(device.Id, 1));
        Assert.Equal(UnixNs(time), value.TimeNs);
        Assert.Equal(23.5, value.Number("temperature"));
        Assert.Equal(41, value.Number("humidity"));
    }

    [Fact]
    public async Task A_message_on_the_external_broker_is_bridged_with_the_workspace_token()
    {
        var device = await e2e.NewDeviceAsync("Farm broker sensor");
        var services = ServiceEndpoints.Current;
        var time = DateTimeOffset.UtcNow.AddSeconds(-15).AddTicks(4242424);
        var payload = $$$"""[{"time":"{{{Rfc3339(time)}}}","values":{"level":1.75}}]""";

        // Published again until the bridge (connected at start-up, or reconnecting) has its subscription: identical
        // copies have one content key, so the points stay one.
        await Until.Async(
            async () =>
            {
                var published = await ExternalCommand.RunAsync("mosquitto_pub", _commandDeadline,
                    "-h", services.MqttHost, "-p", services.MqttTlsPort.ToString(CultureInfo.InvariantCulture), "--cafile", services.MqttCaFile,
                    "-u", services.MqttUser, "-P", services.MqttPassword, "-q", "1", "-t", $"{e2e.BridgePrefix}/{device.Id}/up", "-m", payload);
                Assert.True(published.ExitCode == 0, $"mosquitto_pub to the shared broker failed: {published.Error}");
                return await e2e.Influx.PointsAsync(device.Id);
            },
            p => p.Count > 0,
            "the bridged message in influxd");

        var point = Assert.Single(await e2e.Influx.PointsAsync(device.Id));
        Assert.Equal(UnixNs(time), point.TimeNs);
        Assert.Equal(1.75, point.Number("level"));
    }

    /// <summary>The device's own measurement carries the device id as its only tag.</summary>
    private async Task AssertOnlyDeviceTagAsync(string device) =>
        Assert.Equal(["device"], await e2e.Influx.TagKeysAsync(device));

    private static string Hex(int digits) => System.Security.Cryptography.RandomNumberGenerator.GetHexString(digits);

    private static string Eui(TestDevice device) => device.DevEui!;
}
