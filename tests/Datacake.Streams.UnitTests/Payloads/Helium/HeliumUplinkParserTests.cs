using System.Text;
using Datacake.Streams.Payloads.Envelopes;
using Datacake.Streams.Payloads.Helium;
using Datacake.Streams.UnitTests.Ingest.Webhooks;
using Datacake.Streams.UnitTests.Payloads.Networks;

namespace Datacake.Streams.UnitTests.Payloads.Helium;

public class HeliumUplinkParserTests
{
    [Fact]
    public void An_uplink_with_a_message_uuid_uses_it_as_message_id()
    {
        var message = HeliumUplinkParser.Parse(Fixture.Bytes("helium-uplink.json"));

        Assert.Equal(WebhookMessageOutcome.Record, message.Outcome);
        Assert.Equal("6081F9A3B5D7E9F1", message.DevEui);
        Assert.Equal("e4f0a2c6-8b1d-4e3f-a5c7-9d0b2e4f6a81", message.MessageId);
        Assert.Equal(65535u, message.FrameCounter);
        Assert.Equal("48000037", message.Session);
        Assert.Equal(5u, message.Port);
        Assert.Equal(1715679687519L * 1_000_000, message.DeviceTimeUnixNs);
    }

    [Fact]
    public void A_legacy_uplink_keys_on_the_device_uuid_counter_and_report_time()
    {
        var first = HeliumUplinkParser.Parse(Fixture.Bytes("helium-uplink-legacy.json"));
        Assert.Equal("b1e9d7c5-3a21-4f08-9c6e-2d4b8a0f7e13/19/1586868546123", first.MessageId);
        Assert.Equal(19u, first.FrameCounter);

        // Helium's id names the device: the next uplink of the same device must get another key.
        var next = HeliumUplinkParser.Parse(Encoding.UTF8.GetBytes(Fixture.Text("helium-uplink-legacy.json")
            .Replace("\"fcnt\": 19", "\"fcnt\": 20", StringComparison.Ordinal)
            .Replace("\"reported_at\": 1586868546123\n}", "\"reported_at\": 1586868606123\n}", StringComparison.Ordinal)));
        Assert.NotEqual(first.MessageId, next.MessageId);
    }

    [Fact]
    public void Missing_port_and_counter_are_none_and_zero()
    {
        var message = HeliumUplinkParser.Parse(Encoding.UTF8.GetBytes("{\"id\":\"x\",\"dev_eui\":\"6081F9A3B5D7E9F1\"}"));
        Assert.Equal(WebhookMessageOutcome.Record, message.Outcome);
        Assert.Equal(0u, message.FrameCounter);
        Assert.Null(message.Port);
        Assert.Null(message.DeviceTimeUnixNs);
        Assert.Equal("x/0/", message.MessageId);
    }

    [Fact]
    public void A_non_uplink_type_is_ignored()
    {
        var message = HeliumUplinkParser.Parse(Encoding.UTF8.GetBytes("{\"type\":\"join\",\"id\":\"x\",\"dev_eui\":\"6081F9A3B5D7E9F1\"}"));
        Assert.Equal(WebhookMessageOutcome.Ignored, message.Outcome);
        Assert.Equal("join", message.IgnoredEvent);
    }

    [Theory]
    [InlineData("jo\\nin")]
    [InlineData("j\u00f6in")]
    [InlineData("a-type-name-longer-than-thirty-two-characters")]
    public void An_ignored_type_that_is_not_a_short_ascii_token_is_named_unknown(string type)
    {
        // The name is echoed in a response header: control or non-ASCII characters there make Kestrel answer 500.
        var message = HeliumUplinkParser.Parse(Encoding.UTF8.GetBytes($"{{\"type\":\"{type}\",\"id\":\"x\"}}"));
        Assert.Equal(WebhookMessageOutcome.Ignored, message.Outcome);
        Assert.Equal("unknown", message.IgnoredEvent);
    }

    [Theory]
    [InlineData("{\"id\":\"x\"}", "$.dev_eui")]
    [InlineData("{\"dev_eui\":\"6081F9A3B5D7E9F1\"}", "$.id")]
    [InlineData("{\"id\":\"x\",\"dev_eui\":\"6081F9A3B5D7E9F1\",\"fcnt\":-3}", "$.fcnt")]
    [InlineData("{\"id\":\"x\",\"dev_eui\":\"6081F9A3B5D7E9F1\",\"reported_at\":\"now\"}", "$.reported_at")]
    [InlineData("{\"id\":\"x\",\"dev_eui\":\"6081F9A3B5D7E9F1\",\"reported_at\":-1}", "$.reported_at")]
    [InlineData("{\"id\":\"x\",\"dev_eui\":\"6081F9A3B5D7E9F1\",\"hotspots\":\"many\"}", "$.hotspots")]
    [InlineData("{\"id\":\"\",\"dev_eui\":\"6081F9A3B5D7E9F1\"}", "$.id")]
    public void A_bad_uplink_is_refused_with_its_path(string body, string path)
    {
        var message = HeliumUplinkParser.Parse(Encoding.UTF8.GetBytes(body));
        Assert.Equal(WebhookMessageOutcome.Malformed, message.Outcome);
        Assert.Equal(path, message.ErrorPath);
    }
}
