using System.Text.Json;
using Datacake.Streams.Payloads.Fields;
using Datacake.Streams.Payloads.Uplinks;

namespace Datacake.Streams.Payloads.Helium;

/// <summary>
/// Helium console HTTP integration uplink: <c>decoded.payload</c> when a console function decoded it, else
/// <c>payload</c> (base64) through the device's decoder with <c>port</c>; <c>hotspots[]</c>, <c>fcnt</c>, <c>port</c> as meta.
/// </summary>
internal static class HeliumUplink
{
    public static DecodeResult Read<TBytes>(JsonElement root, TBytes deviceBytes, IPointSink sink)
        where TBytes : IDeviceBytesDecoder
    {
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty(HeliumFormat.Payload, out _) && !root.TryGetProperty(HeliumFormat.Decoded, out _))
        {
            return DecodeResult.Failed("helium: not an uplink (no payload)");
        }

        var port = UplinkJson.PortOf(root, HeliumFormat.Port);
        var result = UplinkJson.TryObject(root, HeliumFormat.Decoded, out var decoded) && UplinkJson.TryObject(decoded, HeliumFormat.Payload, out var values)
            ? DecodedObjectWriter.Write(values, sink)
            : UplinkJson.DecodeBase64(root, HeliumFormat.Payload, port, deviceBytes, sink);
        if (!result.Succeeded)
        {
            return result;
        }

        UplinkJson.AddGateways(root, HeliumFormat.Hotspots, sink);
        UplinkJson.AddMeta(root, HeliumFormat.Fcnt, MetaFields.FrameCounter, sink);
        UplinkJson.AddMeta(root, HeliumFormat.Port, MetaFields.Port, sink);
        return DecodeResult.Ok;
    }
}
