using Datacake.Streams.Access;
using Datacake.Streams.Ids;
using Datacake.Streams.Processing.Decoding;
using Datacake.Streams.Records;

namespace Datacake.Streams.UnitTests.Processing.Decoding;

/// <summary>Fixture files (written from each vendor's published format) and a registry with one JavaScript decoder.</summary>
internal static class UplinkFixtures
{
    public const string JsDecoderSource = """
        function decodeUplink(input) {
          return { data: { temperature: ((input.bytes[0] << 8) | input.bytes[1]) / 100, valve: input.bytes[2] === 1 } };
        }
        """;

    public static byte[] Read(string name) =>
        File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Processing", "Decoding", "Fixtures", name));

    public static (UplinkDecoder Decoder, RegistryView Registry) Create()
    {
        var registry = new RegistryView();
        registry.Apply(new WorkspaceUpserted(new WorkspaceEntry("ws_1", null)));
        registry.Apply(new WorkspaceUpserted(new WorkspaceEntry("ws_2", null)));
        registry.Apply(new DecoderUpserted(new DecoderEntry("dec_valve", "ws_1", JsDecoderSource)));
        var devices = new DevicePayloadDecoder(registry, new JavaScriptDecoder(new JavaScriptDecoderOptions()));
        return (new UplinkDecoder(devices), registry);
    }

    public static DeviceEntry Device(string? decoderId, string workspace = "ws_1") =>
        new() { Id = DeviceId.New(), WorkspaceId = workspace, DecoderId = decoderId };

    public static RawRecord Record(SourceKind source, byte[] payload) => new()
    {
        DeviceId = DeviceId.New(),
        Source = source,
        ReceivedAtUnixNs = 1_764_331_199_000_000_000,
        PayloadKind = PayloadKind.UplinkJson,
        Payload = payload,
    };
}
