using System.Text;
using Datacake.Streams.Payloads.Envelopes;
using Datacake.Streams.Payloads.TheThingsStack;
using Datacake.Streams.UnitTests.Ingest.Webhooks;
using Datacake.Streams.UnitTests.Payloads.Networks;

namespace Datacake.Streams.UnitTests.Payloads.TheThingsStack;

public class TtsUplinkParserTests
{
    [Fact]
    public void An_uplink_gives_deveui_session_counter_port_and_network_server_time()
    {
        var message = TtsUplinkParser.Parse(Fixture.Bytes("tts-uplink.json"));

        Assert.Equal(WebhookMessageOutcome.Record, message.Outcome);
        Assert.Equal("70B3D57ED005A1B2", message.DevEui);
        Assert.Equal("orchard-soil-probe-7", message.DeviceIdHint);
        Assert.Equal("AY9fQ2s1k8mV7xTz0pL3nA==", message.Session);
        Assert.Equal(1417u, message.FrameCounter);
        Assert.Equal(2u, message.Port);
        Assert.Equal("70B3D57ED005A1B2/AY9fQ2s1k8mV7xTz0pL3nA==/1417", message.MessageId);

        // uplink_message.received_at (the network server's time) to the nanosecond, not the top-level AS time.
        Assert.Equal(Fixture.UnixNs("2024-05-14T09:41:27.312904500Z") + 51, message.DeviceTimeUnixNs);
    }

    [Fact]
    public void Zero_values_tts_omits_are_counter_zero_and_port_zero()
    {
        var message = TtsUplinkParser.Parse(Fixture.Bytes("tts-uplink-minimal.json"));

        Assert.Equal(WebhookMessageOutcome.Record, message.Outcome);
        Assert.Equal(0u, message.FrameCounter);
        Assert.Equal(0u, message.Port);
        Assert.Equal("70B3D57ED005A1B3", message.DevEui);
        Assert.Equal(Fixture.UnixNs("2024-05-14T09:59:59.998Z"), message.DeviceTimeUnixNs);
    }

    [Fact]
    public void A_32_bit_counter_at_its_maximum_and_an_offset_time_are_read_exactly()
    {
        var message = TtsUplinkParser.Parse(Fixture.Bytes("tts-uplink-32bit.json"));

        Assert.Equal(uint.MaxValue, message.FrameCounter);
        Assert.Equal("70B3D57ED005A1B4", message.DevEui);
        Assert.EndsWith("/4294967295", message.MessageId, StringComparison.Ordinal);
        Assert.Equal(Fixture.UnixNs("2024-05-14T09:00:00.25Z"), message.DeviceTimeUnixNs);
    }

    [Theory]
    [InlineData("65535", 65535u)]
    [InlineData("65536", 65536u)]
    [InlineData("70000", 70000u)]
    [Trait("Reliability", "lorawan")]
    public void Counters_past_16_bits_are_kept_whole(string count, uint expected)
    {
        var message = TtsUplinkParser.Parse(Uplink($"\"f_cnt\":{count}"));
        Assert.Equal(expected, message.FrameCounter);
    }

    [Theory]
    [InlineData("\"f_cnt\":4294967296", "$.uplink_message.f_cnt")]
    [InlineData("\"f_cnt\":-1", "$.uplink_message.f_cnt")]
    [InlineData("\"f_cnt\":1.5", "$.uplink_message.f_cnt")]
    [InlineData("\"f_cnt\":\"12\"", "$.uplink_message.f_cnt")]
    [InlineData("\"f_port\":256", "$.uplink_message.f_port")]
    [InlineData("\"frm_payload\":\"not base64!\"", "$.uplink_message.frm_payload")]
    [InlineData("\"received_at\":\"yesterday\"", "$.uplink_message.received_at")]
    [InlineData("\"rx_metadata\":{}", "$.uplink_message.rx_metadata")]
    [InlineData("\"f_cnt\":1,\"f_cnt\":2", "$.uplink_message.f_cnt")]
    public void A_bad_value_is_refused_with_its_path(string fields, string path)
    {
        var message = TtsUplinkParser.Parse(Uplink(fields));
        Assert.Equal(WebhookMessageOutcome.Malformed, message.Outcome);
        Assert.Equal(path, message.ErrorPath);
    }

    [Theory]
    [InlineData("{\"end_device_ids\":{\"dev_eui\":\"70B3D57ED005A1\"},\"uplink_message\":{}}", "$.end_device_ids.dev_eui")]
    [InlineData("{\"end_device_ids\":{},\"uplink_message\":{}}", "$.end_device_ids.dev_eui")]
    [InlineData("{\"uplink_message\":{}}", "$.end_device_ids.dev_eui")]
    [InlineData("[1,2]", "$")]
    [InlineData("{\"uplink_message\":{}", "$")]
    [InlineData("{} {}", "$")]
    [InlineData("", "$")]
    public void A_body_that_is_not_an_uplink_is_refused(string body, string path)
    {
        var message = TtsUplinkParser.Parse(Encoding.UTF8.GetBytes(body));
        Assert.Equal(WebhookMessageOutcome.Malformed, message.Outcome);
        Assert.Equal(path, message.ErrorPath);
    }

    [Fact]
    public void A_join_accept_is_ignored_by_name()
    {
        var message = TtsUplinkParser.Parse(Fixture.Bytes("tts-join-accept.json"));
        Assert.Equal(WebhookMessageOutcome.Ignored, message.Outcome);
        Assert.Equal("join_accept", message.IgnoredEvent);
    }

    [Fact]
    public void Our_device_id_in_device_id_is_kept_as_a_routing_hint_when_there_is_no_deveui()
    {
        var message = TtsUplinkParser.Parse(Encoding.UTF8.GetBytes(
            "{\"end_device_ids\":{\"device_id\":\"dev_0123456789abcdefghjkmnpqrs\"},\"uplink_message\":{\"f_cnt\":3}}"));
        Assert.Equal(WebhookMessageOutcome.Record, message.Outcome);
        Assert.Null(message.DevEui);
        Assert.Equal("dev_0123456789abcdefghjkmnpqrs", message.DeviceIdHint);
        Assert.Equal("dev_0123456789abcdefghjkmnpqrs//3", message.MessageId);
    }

    private static byte[] Uplink(string uplinkFields) => Encoding.UTF8.GetBytes(
        "{\"end_device_ids\":{\"dev_eui\":\"70B3D57ED005A1B2\"},\"uplink_message\":{\"session_key_id\":\"AQ==\"," + uplinkFields + "}}");
}
