using System.Text.Json;
using System.Text;
using Datacake.Streams.Access;
using Datacake.Streams.Payloads.ChirpStack;
using Datacake.Streams.Payloads.Envelopes;
using Datacake.Streams.Payloads.Helium;
using Datacake.Streams.Payloads.Networks;
using Datacake.Streams.Payloads.Particle;
using Datacake.Streams.Payloads.TheThingsStack;
using Datacake.Streams.UnitTests.Ingest.Webhooks;
using Datacake.Streams.UnitTests.Payloads.Networks;

namespace Datacake.Streams.UnitTests.Payloads.Envelopes;

public class PayloadRedactionTests
{
    [Theory]
    [InlineData(WebhookKind.Tts, "tts-uplink.json", new[] { "orchard-soil-probe-7", "hillside-orchard", "barn-roof-gw" })]
    [InlineData(WebhookKind.ChirpStack, "chirpstack-up.json", new[] { "Greenhouse north probe", "Hillside Farms", "Orchard sensors", "Soil probe EU868", "52f14cd4" })]
    [InlineData(WebhookKind.Helium, "helium-uplink.json", new[] { "Warehouse", "8f2e6d4c", "mellow-tangerine-otter" })]
    [InlineData(WebhookKind.Particle, "particle-event.json", new[] { "5c1e8f0a2b3d4e5f6a7b8c9d" })]
    public void Names_are_removed_and_what_processors_read_is_kept(WebhookKind kind, string fixture, string[] names)
    {
        var body = Fixture.Bytes(fixture);
        foreach (var name in names)
        {
            Assert.Contains(name, Encoding.UTF8.GetString(body), StringComparison.Ordinal);
        }

        var redacted = PayloadRedaction.Redact(kind, body);
        var text = Encoding.UTF8.GetString(redacted);
        foreach (var name in names)
        {
            Assert.DoesNotContain(name, text, StringComparison.Ordinal);
        }

        // Still the sender's format: the parser reads the same routing and dedup fields from the redacted copy.
        var before = Parse(kind, body);
        var after = Parse(kind, redacted);
        Assert.Equal(WebhookMessageOutcome.Record, after.Outcome);
        Assert.Equal(before.MessageId, after.MessageId);
        Assert.Equal(before.FrameCounter, after.FrameCounter);
        Assert.Equal(before.DeviceTimeUnixNs, after.DeviceTimeUnixNs);
    }

    [Fact]
    public void Numbers_keep_their_exact_text_and_nested_values_survive()
    {
        var redacted = PayloadRedaction.Redact(WebhookKind.ChirpStack, Fixture.Bytes("chirpstack-up.json"));
        var text = Encoding.UTF8.GetString(redacted);
        Assert.Contains("\"latitude\":52.3702", text, StringComparison.Ordinal);
        using var doc = JsonDocument.Parse(redacted);
        Assert.Equal(23.2, doc.RootElement.GetProperty("object").GetProperty("temperature").GetDouble());
        Assert.Equal("AWcA6AJoKg==", doc.RootElement.GetProperty("data").GetString());
        Assert.Equal(-61, doc.RootElement.GetProperty("rxInfo")[0].GetProperty("rssi").GetInt32());
        Assert.Equal("a84041000181c0de", doc.RootElement.GetProperty("deviceInfo").GetProperty("devEui").GetString());
    }

    private static WebhookMessage Parse(WebhookKind kind, byte[] body) => kind switch
    {
        WebhookKind.Tts => TtsUplinkParser.Parse(body),
        WebhookKind.ChirpStack => ChirpStackEventParser.Parse(body, "up"),
        WebhookKind.Helium => HeliumUplinkParser.Parse(body),
        _ => ParticleEventParser.ParseJson(body),
    };
}
