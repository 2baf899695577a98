using System.Text.Json;

namespace Datacake.Streams.Processing.Decoding;

/// <summary>
/// Helium console HTTP integration uplink: <c>decoded.payload</c> when a console function decoded it, else
/// <c>payload</c> (base64) through the device's decoder with <c>port</c>; <c>hotspots[]</c>, <c>fcnt</c>, <c>port</c> as meta.
/// </summary>
internal static class HeliumUplink
{
    public static DecodeResult Read(JsonElement root, in UplinkContext context, IPointSink sink)
    {
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("payload", out _) && !root.TryGetProperty("decoded", out _))
        {
            return DecodeResult.Failed("helium: not an uplink (no payload)");
        }

        var port = UplinkJson.PortOf(root, "port");
        var result = UplinkJson.TryObject(root, "decoded", out var decoded) && UplinkJson.TryObject(decoded, "payload", out var values)
            ? DecodedObjectWriter.Write(values, sink)
            : UplinkJson.DecodeBase64(root, "payload", port, context, sink);
        if (!result.Succeeded)
        {
            return result;
        }

        UplinkJson.AddGateways(root, "hotspots", sink);
        UplinkJson.AddMeta(root, "fcnt", MetaFields.FrameCounter, sink);
        UplinkJson.AddMeta(root, "port", MetaFields.Port, sink);
        return DecodeResult.Ok;
    }
}
