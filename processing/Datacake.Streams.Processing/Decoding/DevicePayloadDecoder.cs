using System.Text.Json;
using Datacake.Streams.Access;

namespace Datacake.Streams.Processing.Decoding;

/// <summary>
/// Decodes a device's raw bytes (a LoRaWAN FRMPayload, a RAW_BYTES record) with the decoder the device names in
/// <see cref="DeviceEntry.DecoderId"/>: <c>"cayennelpp"</c>, <c>"json"</c> (the bytes are a JSON object) or the id of a
/// JavaScript decoder of the device's workspace (or an ancestor) from <see cref="RegistryView"/>.
/// </summary>
public sealed class DevicePayloadDecoder(RegistryView registry, JavaScriptDecoder javaScript)
{
    public const string JsonDecoderId = "json";

    private readonly RegistryView _registry = registry ?? throw new ArgumentNullException(nameof(registry));
    private readonly JavaScriptDecoder _javaScript = javaScript ?? throw new ArgumentNullException(nameof(javaScript));

    public DecodeResult Decode(DeviceEntry? device, ReadOnlySpan<byte> payload, uint port, IPointSink sink)
    {
        ArgumentNullException.ThrowIfNull(sink);
        var decoderId = device?.DecoderId;
        switch (decoderId)
        {
            case null:
                return DecodeResult.Failed("the device has no payload decoder for raw bytes (set decoder: cayennelpp, json or a decoder id)");
            case CayenneLpp.DecoderId:
                return CayenneLpp.Decode(payload, sink);
            case JsonDecoderId:
                return DecodeJsonObject(payload, sink);
        }

        if (!_registry.TryGetDecoder(decoderId, out var entry) || entry is null)
        {
            return DecodeResult.Failed($"decoder {decoderId} does not exist");
        }

        if (entry.WorkspaceId != device!.WorkspaceId && !_registry.IsWithin(device.WorkspaceId, entry.WorkspaceId))
        {
            return DecodeResult.Failed($"decoder {decoderId} belongs to another workspace");
        }

        return _javaScript.Decode(entry.Id, entry.Source, payload, port, sink);
    }

    private static DecodeResult DecodeJsonObject(ReadOnlySpan<byte> payload, IPointSink sink)
    {
        try
        {
            var reader = new Utf8JsonReader(payload, new JsonReaderOptions { MaxDepth = 16 });
            using var document = JsonDocument.ParseValue(ref reader);
            return DecodedObjectWriter.Write(document.RootElement, sink);
        }
        catch (JsonException ex)
        {
            return DecodeResult.Failed("payload is not JSON: " + ex.Message);
        }
        catch (InvalidOperationException ex)
        {
            return DecodeResult.Failed("invalid text in JSON: " + ex.Message);
        }
    }
}
