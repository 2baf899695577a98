using System.Text.Json;
using Datacake.Streams.Payloads.Fields;
using Datacake.Streams.Payloads.Uplinks;

namespace Datacake.Streams.Payloads.ChirpStack;

/// <summary>
/// ChirpStack v4 HTTP integration events (JSON marshaler). Uplink: <c>object</c> when the device profile has a
/// codec, else <c>data</c> (base64) through the device's decoder with <c>fPort</c>; <c>rxInfo[]</c>, <c>fCnt</c>,
/// <c>fPort</c> as meta. Status event: <c>batteryLevel</c> and <c>margin</c> as meta only.
/// </summary>
internal static class ChirpStackUplink
{
    public static DecodeResult Read<TBytes>(JsonElement root, TBytes deviceBytes, IPointSink sink)
        where TBytes : IDeviceBytesDecoder
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return DecodeResult.Failed("chirpstack: the event is not a JSON object");
        }

        if (UplinkJson.TryNumber(root, ChirpStackFormat.BatteryLevel, out _) || UplinkJson.TryNumber(root, ChirpStackFormat.Margin, out _))
        {
            UplinkJson.AddMeta(root, ChirpStackFormat.BatteryLevel, MetaFields.Battery, sink);
            UplinkJson.AddMeta(root, ChirpStackFormat.Margin, MetaFields.Margin, sink);
            return DecodeResult.Ok;
        }

        if (!root.TryGetProperty(ChirpStackFormat.DeduplicationId, out _) && !root.TryGetProperty(ChirpStackFormat.RxInfo, out _) && !root.TryGetProperty(ChirpStackFormat.Data, out _))
        {
            return DecodeResult.Failed("chirpstack: not an uplink or status event");
        }

        var port = UplinkJson.PortOf(root, ChirpStackFormat.FPort);
        var result = UplinkJson.TryObject(root, ChirpStackFormat.Object, out var decoded)
            ? DecodedObjectWriter.Write(decoded, sink)
            : UplinkJson.DecodeBase64(root, ChirpStackFormat.Data, port, deviceBytes, sink);
        if (!result.Succeeded)
        {
            return result;
        }

        UplinkJson.AddGateways(root, ChirpStackFormat.RxInfo, sink);
        UplinkJson.AddMeta(root, ChirpStackFormat.FCnt, MetaFields.FrameCounter, sink);
        UplinkJson.AddMeta(root, ChirpStackFormat.FPort, MetaFields.Port, sink);
        return DecodeResult.Ok;
    }
}
