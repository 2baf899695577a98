using System.Text.Json;

namespace Datacake.Streams.Processing.Decoding;

/// <summary>
/// The Things Stack v3 webhook uplink (<c>uplink_message</c>): <c>decoded_payload</c> when the application has a
/// payload formatter, else <c>frm_payload</c> (base64) through the device's decoder with <c>f_port</c>;
/// <c>rx_metadata[]</c>, <c>f_cnt</c>, <c>f_port</c> and <c>last_battery_percentage.value</c> as meta.
/// </summary>
internal static class TtsUplink
{
    public static DecodeResult Read(JsonElement root, in UplinkContext context, IPointSink sink)
    {
        if (!UplinkJson.TryObject(root, "uplink_message", out var uplink))
        {
            return DecodeResult.Failed("tts: no uplink_message (only uplinks carry measurements)");
        }

        var port = UplinkJson.PortOf(uplink, "f_port");
        var result = UplinkJson.TryObject(uplink, "decoded_payload", out var decoded)
            ? DecodedObjectWriter.Write(decoded, sink)
            : UplinkJson.DecodeBase64(uplink, "frm_payload", port, context, sink);
        if (!result.Succeeded)
        {
            return result;
        }

        UplinkJson.AddGateways(uplink, "rx_metadata", sink);
        UplinkJson.AddMeta(uplink, "f_cnt", MetaFields.FrameCounter, sink);
        UplinkJson.AddMeta(uplink, "f_port", MetaFields.Port, sink);
        if (UplinkJson.TryObject(uplink, "last_battery_percentage", out var battery))
        {
            UplinkJson.AddMeta(battery, "value", MetaFields.Battery, sink);
        }

        return DecodeResult.Ok;
    }
}
