using System.Text;
using Datacake.Streams.Access;
using Datacake.Streams.Ids;
using Datacake.Streams.Ingest.Bridge;
using Datacake.Streams.Records;
using Microsoft.Extensions.Time.Testing;

namespace Datacake.Streams.UnitTests.Ingest.Bridge;

public class BridgeTranslatorTests
{
    private static readonly DateTimeOffset _start = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);
    private static readonly DevEui _eui = new(0x70B3D57ED0000001);

    private readonly FakeTimeProvider _time = new(_start);
    private readonly RegistryView _registry;
    private readonly DeviceId _sensor = DeviceId.New();
    private readonly DeviceId _decoded = DeviceId.New();
    private readonly DeviceId _foreign = DeviceId.New();
    private readonly AccessToken _token = AccessToken.New();
    private readonly ContentKey _contentKey = new();

    public BridgeTranslatorTests()
    {
        _registry = new RegistryView(_time);
        _registry.Apply(new WorkspaceUpserted(new WorkspaceEntry("ws-secret-name", null)));
        _registry.Apply(new WorkspaceUpserted(new WorkspaceEntry("ws-other", null)));
        _registry.Apply(new DeviceUpserted(new DeviceEntry { Id = _sensor, WorkspaceId = "ws-secret-name", DevEui = _eui, Serial = "SN-1" }));
        _registry.Apply(new DeviceUpserted(new DeviceEntry { Id = _decoded, WorkspaceId = "ws-secret-name", Serial = "SN-LPP", DecoderId = "cayennelpp" }));
        _registry.Apply(new DeviceUpserted(new DeviceEntry { Id = _foreign, WorkspaceId = "ws-other", Serial = "SN-FOREIGN" }));
        _registry.Apply(new TokenUpserted(new TokenGrant { TokenId = "bridge", Hash = _token.Hash, WorkspaceId = "ws-secret-name", Role = WorkspaceRole.Editor }));
    }

    [Fact]
    public void A_mapped_message_becomes_an_anonymous_bridge_record()
    {
        var translator = Translator(new BridgeMapping { Topic = "sensors/{devEui}/up" });
        var payload = """{"temperature":21.5}""";

        Assert.Equal(BridgeVerdict.Accepted, Translate(translator, "sensors/70-B3-D5-7E-D0-00-00-01/up", payload, out var record));

        Assert.Equal(_sensor, record.DeviceId);
        Assert.Equal(SourceKind.MqttBridge, record.Source);
        Assert.Equal(PayloadKind.JsonValues, record.PayloadKind);
        Assert.Equal(payload, Encoding.UTF8.GetString(record.Payload.Span));
        Assert.Equal(_token.Hash, record.Credential);
        Assert.Equal(CredentialKind.Token, record.CredentialKind);
        Assert.Equal(_start, record.ReceivedAt);
        Assert.StartsWith(ContentKey.Prefix, record.MessageId, StringComparison.Ordinal);

        var bytes = new AdapterSigner(AdapterKeyring.CreateRandom()).EncodeSigned(record);
        var text = Encoding.Latin1.GetString(bytes);
        Assert.DoesNotContain("ws-secret-name", text, StringComparison.Ordinal);
        Assert.DoesNotContain(_token.Secret, text, StringComparison.Ordinal);
        Assert.DoesNotContain("sensors/", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Serial_and_device_id_templates_and_json_pointers_map_too()
    {
        Assert.Equal(BridgeVerdict.Accepted, Translate(Translator(new BridgeMapping { Topic = "things/{serial}/data" }), "things/SN-1/data", "{}", out var bySerial));
        Assert.Equal(_sensor, bySerial.DeviceId);

        Assert.Equal(BridgeVerdict.Accepted, Translate(Translator(new BridgeMapping { Topic = "{deviceId}" }), _sensor.ToString(), "{}", out var byId));
        Assert.Equal(_sensor, byId.DeviceId);

        var pointer = Translator(new BridgeMapping { JsonPointer = "/end_device_ids/dev_eui", Identity = DeviceIdentityKind.DevEui }, topics: ["uplinks/#"]);
        Assert.Equal(BridgeVerdict.Accepted, Translate(pointer, "uplinks/x", """{"end_device_ids":{"dev_eui":"70b3d57ed0000001"}}""", out var byPointer));
        Assert.Equal(_sensor, byPointer.DeviceId);
        Assert.Equal(BridgeVerdict.Unmapped, Translate(pointer, "uplinks/x", """{"other":1}""", out _));
        Assert.Equal(BridgeVerdict.Unmapped, Translate(pointer, "uplinks/x", "not json", out _));
    }

    [Fact]
    public void Unmapped_topics_unknown_and_foreign_devices_and_oversize_payloads_make_no_record()
    {
        var translator = Translator(new BridgeMapping { Topic = "things/{serial}/data" }, maxPayloadBytes: 16);

        Assert.Equal(BridgeVerdict.Unmapped, Translate(translator, "things/SN-1/status", "{}", out var record));
        Assert.Equal(default, record);
        Assert.Equal(BridgeVerdict.UnknownDevice, Translate(translator, "things/SN-NOBODY/data", "{}", out _));

        // The device exists, but in a workspace the bridge's token does not reach.
        Assert.Equal(BridgeVerdict.UnknownDevice, Translate(translator, "things/SN-FOREIGN/data", "{}", out _));
        Assert.Equal(BridgeVerdict.PayloadTooLarge, Translate(translator, "things/SN-1/data", new string('x', 17), out _));
        Assert.Equal(BridgeVerdict.Accepted, Translate(translator, "things/SN-1/data", new string('x', 16), out _));

        var byId = Translator(new BridgeMapping { Topic = "{deviceId}" });
        Assert.Equal(BridgeVerdict.UnknownDevice, Translate(byId, _foreign.ToString(), "{}", out _));
        Assert.Equal(BridgeVerdict.UnknownDevice, Translate(byId, "not-a-device-id", "{}", out _));
    }

    [Fact]
    public void A_revoked_token_refuses_every_message()
    {
        var translator = Translator(new BridgeMapping { Topic = "things/{serial}/data" });
        Assert.Equal(AuthenticationResult.Ok, translator.CheckCredential(_start, out _));

        _registry.Apply(new TokenUpserted(new TokenGrant
        {
            TokenId = "bridge", Hash = _token.Hash, WorkspaceId = "ws-secret-name", Role = WorkspaceRole.Editor, RevokedAt = _start,
        }));

        Assert.Equal(AuthenticationResult.Revoked, translator.CheckCredential(_start, out _));
        Assert.Equal(BridgeVerdict.CredentialRefused, Translate(translator, "things/SN-1/data", "{}", out _));
    }

    [Fact]
    public void The_payload_kind_follows_the_device_decoder_then_the_bytes_unless_configured()
    {
        var auto = Translator(new BridgeMapping { Topic = "things/{serial}/data" });
        Translate(auto, "things/SN-1/data", "\u0001\u0067\u0001\u0010", out var binary);
        Assert.Equal(PayloadKind.RawBytes, binary.PayloadKind);
        Translate(auto, "things/SN-LPP/data", """{"looks":"like json"}""", out var forDecoder);
        Assert.Equal(PayloadKind.RawBytes, forDecoder.PayloadKind);

        var forced = Translator(new BridgeMapping { Topic = "things/{serial}/data" }, payload: BridgePayload.RawBytes);
        Translate(forced, "things/SN-1/data", """{"t":1}""", out var raw);
        Assert.Equal(PayloadKind.RawBytes, raw.PayloadKind);
    }

    [Fact]
    public void Without_deduplication_a_record_has_no_message_id()
    {
        var translator = Translator(new BridgeMapping { Topic = "things/{serial}/data" });
        Assert.Equal(BridgeVerdict.Accepted, translator.Translate("things/SN-1/data", "{}"u8.ToArray(), _start, contentKey: null, out var record));
        Assert.Null(record.MessageId);
    }

    [Fact]
    public void The_subscription_defaults_to_the_template_filter()
    {
        Assert.Equal(["sensors/+/up"], Translator(new BridgeMapping { Topic = "sensors/{devEui}/up" }).Topics);
        Assert.Equal(["a/#", "b/+"], Translator(new BridgeMapping { Topic = "sensors/{devEui}/up" }, topics: ["a/#", "b/+"]).Topics);
    }

    private BridgeTranslator Translator(BridgeMapping mapping, string[]? topics = null, int maxPayloadBytes = BridgeDefinition.DefaultMaxPayloadBytes, BridgePayload payload = BridgePayload.Auto) =>
        new(new BridgeDefinition
        {
            Name = "test",
            Host = "127.0.0.1",
            Mapping = mapping,
            Topics = topics ?? [],
            Token = _token.Secret,
            MaxPayloadBytes = maxPayloadBytes,
            Payload = payload,
        }, _registry);

    private BridgeVerdict Translate(BridgeTranslator translator, string topic, string payload, out RawRecord record) =>
        translator.Translate(topic, Encoding.UTF8.GetBytes(payload), _time.GetUtcNow(), _contentKey, out record);
}
