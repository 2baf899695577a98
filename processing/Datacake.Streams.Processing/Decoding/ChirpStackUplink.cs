using System.Text.Json;

namespace Datacake.Streams.Processing.Decoding;

/// <summary>
/// ChirpStack v4 HTTP integration events (JSON marshaler). Uplink: <c>object</c> when the device profile has a
/// codec, else <c>data</c> (base64) through the device's decoder with <c>fPort</c>; <c>rxInfo[]</c>, <c>fCnt</c>,
/// <c>fPort</c> as meta. Status event: <c>batteryLevel</c> and <c>margin</c> as meta only.
/// </summary>
internal static class ChirpStackUplink
{
    public static DecodeResult Read(JsonElement root, in UplinkContext context, IPointSink sink)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return DecodeResult.Failed("chirpstack: the event is not a JSON object");
        }

        if (UplinkJson.TryNumber(root, "batteryLevel", out _) || UplinkJson.TryNumber(root, "margin", out _))
        {
            UplinkJson.AddMeta(root, "batteryLevel", MetaFields.Battery, sink);
            UplinkJson.AddMeta(root, "margin", MetaFields.Margin, sink);
            return DecodeResult.Ok;
        }

        if (!root.TryGetProperty("deduplicationId", out _) && !root.TryGetProperty("rxInfo", out _) && !root.TryGetProperty("data", out _))
        {
            return DecodeResult.Failed("chirpstack: not an uplink or status event");
        }

        var port = UplinkJson.PortOf(root, "fPort");
        var result = UplinkJson.TryObject(root, "object", out var decoded)
            ? DecodedObjectWriter.Write(decoded, sink)
            : UplinkJson.DecodeBase64(root, "data", port, context, sink);
        if (!result.Succeeded)
        {
            return result;
        }

        UplinkJson.AddGateways(root, "rxInfo", sink);
        UplinkJson.AddMeta(root, "fCnt", MetaFields.FrameCounter, sink);
        UplinkJson.AddMeta(root, "fPort", MetaFields.Port, sink);
        return DecodeResult.Ok;
    }
}
