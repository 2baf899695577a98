using System.Text.Json;
using Datacake.Streams.Payloads.Networks;
using Datacake.Streams.Payloads.Uplinks;

namespace Datacake.Streams.Payloads.TheThingsStack;

/// <summary>
/// The allow-list of a TTS v3 uplink: <c>uplink_message.f_port</c>, <c>f_cnt</c>, <c>decoded_payload</c> or
/// <c>frm_payload</c>, the best of <c>rx_metadata[]</c> (rssi, snr, count) and <c>last_battery_percentage.value</c>.
/// Dropped with everything else: <c>end_device_ids</c> names, gateway ids and locations, <c>locations</c>,
/// <c>network_ids</c>, <c>packet_broker</c> tenants, <c>attributes</c>, correlation ids.
/// </summary>
internal static class TtsRecordFields
{
    public static void Write(JsonElement root, Utf8JsonWriter writer)
    {
        if (!UplinkJson.TryObject(root, TtsFormat.UplinkMessage, out var uplink))
        {
            return;
        }

        RecordPayload.CopyNumber(writer, uplink, TtsFormat.FPort, UplinkFields.Port);
        RecordPayload.CopyNumber(writer, uplink, TtsFormat.FCnt, UplinkFields.FrameCounter);
        RecordPayload.CopyValues(writer, uplink, TtsFormat.DecodedPayload, uplink, TtsFormat.FrmPayload);
        RecordPayload.CopyGateways(writer, uplink, TtsFormat.RxMetadata);
        if (UplinkJson.TryObject(uplink, TtsFormat.LastBatteryPercentage, out var battery))
        {
            RecordPayload.CopyNumber(writer, battery, TtsFormat.Value, UplinkFields.Battery);
        }
    }
}
