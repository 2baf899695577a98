using System.Text.Json;
using Datacake.Streams.Payloads.Fields;
using Datacake.Streams.Payloads.Uplinks;

namespace Datacake.Streams.Payloads.TheThingsStack;

/// <summary>
/// The Things Stack v3 webhook uplink (<c>uplink_message</c>): <c>decoded_payload</c> when the application has a
/// payload formatter, else <c>frm_payload</c> (base64) through the device's decoder with <c>f_port</c>;
/// <c>rx_metadata[]</c>, <c>f_cnt</c>, <c>f_port</c> and <c>last_battery_percentage.value</c> as meta.
/// </summary>
internal static class TtsUplink
{
    public static DecodeResult Read<TBytes>(JsonElement root, TBytes deviceBytes, IPointSink sink)
        where TBytes : IDeviceBytesDecoder
    {
        if (!UplinkJson.TryObject(root, TtsFormat.UplinkMessage, out var uplink))
        {
            return DecodeResult.Failed("tts: no uplink_message (only uplinks carry measurements)");
        }

        var port = UplinkJson.PortOf(uplink, TtsFormat.FPort);
        var result = UplinkJson.TryObject(uplink, TtsFormat.DecodedPayload, out var decoded)
            ? DecodedObjectWriter.Write(decoded, sink)
            : UplinkJson.DecodeBase64(uplink, TtsFormat.FrmPayload, port, deviceBytes, sink);
        if (!result.Succeeded)
        {
            return result;
        }

        UplinkJson.AddGateways(uplink, TtsFormat.RxMetadata, sink);
        UplinkJson.AddMeta(uplink, TtsFormat.FCnt, MetaFields.FrameCounter, sink);
        UplinkJson.AddMeta(uplink, TtsFormat.FPort, MetaFields.Port, sink);
        if (UplinkJson.TryObject(uplink, TtsFormat.LastBatteryPercentage, out var battery))
        {
            UplinkJson.AddMeta(battery, TtsFormat.Value, MetaFields.Battery, sink);
        }

        return DecodeResult.Ok;
    }
}
