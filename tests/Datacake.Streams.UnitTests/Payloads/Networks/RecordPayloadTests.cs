using System.Text;
using System.Text.Json;
using Datacake.Streams.Access;
using Datacake.Streams.Payloads.Envelopes;
using Datacake.Streams.Payloads.Networks;
using Datacake.Streams.Payloads.Particle;

namespace Datacake.Streams.UnitTests.Payloads.Networks;

/// <summary>Issue 17: a webhook record keeps exactly the allow-listed fields of each network's body, nothing else.</summary>
public class RecordPayloadTests
{
    [Theory]
    [MemberData(nameof(PrivateBodies.Kinds), MemberType = typeof(PrivateBodies))]
    public void The_private_fixtures_do_carry_the_markers(WebhookKind kind, string fixture)
    {
        _ = kind;
        var body = Fixture.Text(fixture);
        Assert.Contains("marker", body, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("47.123456", body, StringComparison.Ordinal);
        Assert.Contains("@", body, StringComparison.Ordinal);
    }

    [Fact]
    public void Tts_keeps_port_counter_decoded_payload_best_gateway_and_battery_only()
    {
        // Two gateways: the better one (-71 dBm) gives rssi and snr; names, locations, packet broker tenants,
        // network ids, attributes, correlation ids and times are gone.
        Assert.Equal(
            """{"device":"70B3D57ED0051717","port":2,"fcnt":1717,"decoded":{"temperature":21.25,"humidity":45},"gateways":2,"rssi":-71,"snr":9.25,"battery":87.5}""",
            PrivateBodies.Stored(WebhookKind.Tts, Fixture.Bytes("tts-uplink-private.json")));
    }

    [Fact]
    public void ChirpStack_keeps_port_counter_object_and_best_gateway_only()
    {
        Assert.Equal(
            """{"device":"A840410001811717","port":3,"fcnt":1718,"decoded":{"temperature":22.5,"humidity":46},"gateways":1,"rssi":-63,"snr":10.75}""",
            PrivateBodies.Stored(WebhookKind.ChirpStack, Fixture.Bytes("chirpstack-up-private.json")));
    }

    [Fact]
    public void ChirpStack_status_keeps_battery_and_margin_only()
    {
        var body = Fixture.Bytes("chirpstack-status.json");
        var message = Datacake.Streams.Payloads.ChirpStack.ChirpStackEventParser.Parse(body, "status");
        var stored = Encoding.UTF8.GetString(RecordPayload.Build(WebhookKind.ChirpStack, body, message.DevEui)!);
        using var document = JsonDocument.Parse(stored);
        Assert.Equal(["device", "battery", "margin"], document.RootElement.EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public void Helium_keeps_port_counter_decoded_payload_and_best_hotspot_only()
    {
        Assert.Equal(
            """{"device":"6081F9A3B5D71717","port":5,"fcnt":1719,"decoded":{"temperature":23.75,"humidity":47},"gateways":1,"rssi":-88,"snr":6.5}""",
            PrivateBodies.Stored(WebhookKind.Helium, Fixture.Bytes("helium-uplink-private.json")));
    }

    [Fact]
    public void Particle_keeps_the_published_data_only_and_no_event_name()
    {
        Assert.Equal(
            """{"device":"e00fce68a1b2c3d4e5f61717","data":"{\"temperature\":24.125,\"humidity\":48}"}""",
            PrivateBodies.Stored(WebhookKind.Particle, Fixture.Bytes("particle-event-private.json")));
    }

    [Fact]
    public void A_particle_form_post_keeps_the_same_fields_as_its_json()
    {
        var form = ParticleEventParser.ParseForm(Fixture.Bytes("particle-event.form"));
        var json = ParticleEventParser.ParseJson(Fixture.Bytes("particle-event.json"));
        var fromForm = RecordPayload.Build(WebhookKind.Particle, form.NormalizedPayload!, form.ParticleId);
        var fromJson = RecordPayload.Build(WebhookKind.Particle, Fixture.Bytes("particle-event.json"), json.ParticleId);
        Assert.Equal(Encoding.UTF8.GetString(fromJson!), Encoding.UTF8.GetString(fromForm!));
        Assert.DoesNotContain("greenhouse", Encoding.UTF8.GetString(fromForm!), StringComparison.Ordinal);
    }

    [Fact]
    public void A_particle_template_that_inlines_data_as_json_keeps_its_text()
    {
        var body = """{"event":"e","coreid":"c1","published_at":"2026-01-02T03:04:05Z","data":{"t":1.5}}"""u8.ToArray();
        Assert.Equal("""{"device":"c1","data":"{\"t\":1.5}"}""", Encoding.UTF8.GetString(RecordPayload.Build(WebhookKind.Particle, body, "c1")!));
    }

    [Theory]
    [MemberData(nameof(PrivateBodies.Kinds), MemberType = typeof(PrivateBodies))]
    public void No_marker_and_no_member_outside_the_allow_list_is_stored(WebhookKind kind, string fixture)
    {
        var stored = PrivateBodies.Stored(kind, Fixture.Bytes(fixture));

        Assert.Empty(PrivateBodies.Leaks(stored));
        using var document = JsonDocument.Parse(stored);
        Assert.All(document.RootElement.EnumerateObject(), p => Assert.Contains(p.Name, UplinkFields.Members));
    }

    [Theory]
    [InlineData("[1,2]")]
    [InlineData("\"text\"")]
    [InlineData("{")]
    [InlineData("")]
    public void A_body_that_is_no_json_object_gives_null_not_an_exception(string body)
    {
        Assert.Null(RecordPayload.Build(WebhookKind.Tts, Encoding.UTF8.GetBytes(body), null));
    }

    [Fact]
    public void The_particle_dedup_key_carries_a_hash_of_the_event_name_not_the_name()
    {
        var message = ParticleEventParser.ParseJson(Fixture.Bytes("particle-event-private.json"));
        var other = ParticleEventParser.ParseJson(Encoding.UTF8.GetBytes(Fixture.Text("particle-event-private.json").Replace("/climate", "/boot", StringComparison.Ordinal)));

        Assert.StartsWith("e00fce68a1b2c3d4e5f61717/2026-01-02T03:04:05.678Z/", message.MessageId, StringComparison.Ordinal);
        Assert.Empty(PrivateBodies.Leaks(message.MessageId!));
        Assert.Matches("/[0-9a-f]{16}$", message.MessageId!);
        Assert.NotEqual(message.MessageId, other.MessageId);
        Assert.Equal(message.MessageId, ParticleEventParser.ParseJson(Fixture.Bytes("particle-event-private.json")).MessageId);
    }
}
