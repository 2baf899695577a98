using System.Globalization;

namespace Datacake.Streams.IntegrationTests.EndToEnd;

/// <summary>
/// Webhook bodies as the network servers and the Particle cloud send them (shapes of the fixtures under
/// UnitTests/Webhooks/Fixtures), with the identities, counters and times a test chooses.
/// </summary>
internal static class UplinkBodies
{
    /// <summary>RFC 3339 with 7 fractional digits: the 100 ns ticks of a DateTimeOffset, exact in InfluxDB's ns.</summary>
    public static string Rfc3339(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    public static long UnixNs(DateTimeOffset time) => (time - DateTimeOffset.UnixEpoch).Ticks * 100;

    /// <summary>A JSON values body of one point at <paramref name="time"/> with the field <c>sequence</c>.</summary>
    public static string Reading(DateTimeOffset time, int sequence) =>
        $$$"""[{"time":"{{{Rfc3339(time)}}}","values":{"sequence":{{{sequence}}} }}]""";

    /// <summary>A gateway's reception of an uplink: id, RSSI, SNR.</summary>
    public sealed record Gateway(string Id, string Eui, int Rssi, double Snr);

    /// <summary>The Things Stack v3 <c>uplink_message</c> webhook, decoded by the application's payload formatter.</summary>
    public static string Tts(string devEui, string session, uint frameCounter, DateTimeOffset networkReceivedAt, double temperature, double humidity, params Gateway[] gateways)
    {
        var rx = string.Join(",", gateways.Select(g => string.Create(CultureInfo.InvariantCulture, $$$"""
            {"gateway_ids":{"gateway_id":"{{{g.Id}}}","eui":"{{{g.Eui}}}"},"time":"{{{Rfc3339(networkReceivedAt.AddMilliseconds(-230))}}}",
             "timestamp":2718832941,"rssi":{{{g.Rssi}}},"channel_rssi":{{{g.Rssi}}},"snr":{{{g.Snr}}},
             "uplink_token":"ChoKGAoMYmFybi1yb29mLWd3EgiE1+v/7mGjxBCt5tyKChoMCLf9jLIGEJWW4ZQB","received_at":"{{{Rfc3339(networkReceivedAt.AddMilliseconds(-10))}}}"}
            """)));
        return string.Create(CultureInfo.InvariantCulture, $$$"""
            {"end_device_ids":{"device_id":"orchard-soil-probe-7","application_ids":{"application_id":"hillside-orchard"},
              "dev_eui":"{{{devEui}}}","join_eui":"0000000000000001","dev_addr":"260B4C1D"},
             "correlation_ids":["as:up:01HX3Z9Q5K7T2M8N4P6R0S1V3W","gs:uplink:01HX3Z9Q4YB6C8D0E2F4G6H8J0"],
             "received_at":"{{{Rfc3339(networkReceivedAt.AddMilliseconds(5))}}}",
             "uplink_message":{"session_key_id":"{{{session}}}","f_port":2,"f_cnt":{{{frameCounter}}},"frm_payload":"AWcA6AJoKg==",
               "decoded_payload":{"temperature":{{{temperature}}},"humidity":{{{humidity}}} },
               "rx_metadata":[{{{rx}}}],
               "settings":{"data_rate":{"lora":{"bandwidth":125000,"spreading_factor":9,"coding_rate":"4/5"}},"frequency":"868300000","timestamp":2718832941},
               "received_at":"{{{Rfc3339(networkReceivedAt)}}}","consumed_airtime":"0.164864s",
               "network_ids":{"net_id":"000013","tenant_id":"ttn","cluster_id":"eu1","cluster_address":"eu1.cloud.thethings.network"} } }
            """);
    }

    /// <summary>ChirpStack v4 <c>up</c> event (HTTP integration, JSON marshaler), decoded by the device profile's codec.</summary>
    public static string ChirpStackUp(string deduplicationId, string devEui, string devAddr, uint frameCounter, DateTimeOffset time, double temperature, int rssi) =>
        string.Create(CultureInfo.InvariantCulture, $$$"""
            {"deduplicationId":"{{{deduplicationId}}}","time":"{{{Rfc3339(time)}}}",
             "deviceInfo":{"tenantId":"52f14cd4-c6f1-4fbd-8f87-4025e1d49242","tenantName":"Hillside Farms",
               "applicationId":"17c82e96-be03-4f38-aef3-f83d48582d97","applicationName":"Orchard sensors",
               "deviceProfileId":"14855bf7-d10d-4aee-b618-ebfcb64dc7ad","deviceProfileName":"Soil probe EU868",
               "deviceName":"Greenhouse north probe","devEui":"{{{devEui.ToLowerInvariant()}}}","deviceClassEnabled":"CLASS_A","tags":{"row":"7"}},
             "devAddr":"{{{devAddr}}}","adr":true,"dr":5,"fCnt":{{{frameCounter}}},"fPort":1,"confirmed":false,"data":"AWcA6AJoKg==",
             "object":{"temperature":{{{temperature}}},"humidity":21},
             "rxInfo":[{"gatewayId":"0016c001f153a14c","uplinkId":40511,"time":"{{{Rfc3339(time)}}}","rssi":{{{rssi}}},"snr":10.5,
               "location":{"latitude":52.3702,"longitude":4.8952},"context":"EFwMtA==",
               "metadata":{"region_config_id":"eu868","region_common_name":"EU868"},"crcStatus":"CRC_OK"}],
             "txInfo":{"frequency":868100000,"modulation":{"lora":{"bandwidth":125000,"spreadingFactor":7,"codeRate":"CR_4_5"} } } }
            """);

    /// <summary>Helium console HTTP integration uplink: raw payload (CayenneLPP, decoded by the device's decoder).</summary>
    /// <remarks><c>AWcA6AJoKg==</c> is CayenneLPP 01 67 00E8 02 68 2A: temperature_1 = 23.2, humidity_2 = 21.</remarks>
    public static string Helium(string uuid, string devEui, string devAddr, uint frameCounter, DateTimeOffset reportedAt, int rssi) =>
        string.Create(CultureInfo.InvariantCulture, $$$"""
            {"app_eui":"6081F9D16837A2C4","dev_eui":"{{{devEui}}}","devaddr":"{{{devAddr}}}","fcnt":{{{frameCounter}}},
             "hotspots":[{"channel":3,"frequency":904.5999755859375,"hold_time":0,"id":"112qB3nEaqiRhfoTzJ2TvN4jZ7BhFUGbT7dVxvn2r1DUCeWXhZ5u",
               "lat":47.6101,"long":-122.2015,"name":"mellow-tangerine-otter","reported_at":{{{reportedAt.ToUnixTimeMilliseconds()}}},
               "rssi":{{{rssi}}},"snr":-3.5,"spreading":"SF10BW125","status":"success"}],
             "id":"b1e9d7c5-3a21-4f08-9c6e-2d4b8a0f7e13",
             "metadata":{"adr_allowed":false,"cf_list_enabled":false,"labels":[{"id":"3c9a7e51-0b2d-4f86-a4c3-9e1d5b7f2a60","name":"Warehouse",
               "organization_id":"8f2e6d4c-1a3b-4c5d-9e7f-0a1b2c3d4e5f"}],"multi_buy":1,"organization_id":"8f2e6d4c-1a3b-4c5d-9e7f-0a1b2c3d4e5f"},
             "name":"Warehouse door sensor","payload":"AWcA6AJoKg==","payload_size":7,"port":5,"raw_packet":"QDcAAEiA//8FAQIDBA==",
             "replay":false,"reported_at":{{{reportedAt.ToUnixTimeMilliseconds()}}},"type":"uplink","uuid":"{{{uuid}}}"}
            """);

    /// <summary>Particle cloud webhook (JSON): the firmware published a JSON object as the event's data.</summary>
    public static string Particle(string coreId, string eventName, DateTimeOffset publishedAt, double temperature, double humidity) =>
        string.Create(CultureInfo.InvariantCulture, $$$"""
            {"event":"{{{eventName}}}","data":"{\"temperature\":{{{temperature}}},\"humidity\":{{{humidity}}} }",
             "published_at":"{{{publishedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture)}}}",
             "coreid":"{{{coreId}}}","userid":"5c1e8f0a2b3d4e5f6a7b8c9d","fw_version":7,"public":false}
            """);
}
