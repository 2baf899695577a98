using System.Text.Json;
using Datacake.Streams.Payloads.Networks;
using Datacake.Streams.Payloads.Uplinks;

namespace Datacake.Streams.Payloads.ChirpStack;

/// <summary>
/// The allow-list of a ChirpStack v4 event. Status: <c>batteryLevel</c> and <c>margin</c> only. Up: <c>fPort</c>,
/// <c>fCnt</c>, <c>object</c> or <c>data</c> and the best of <c>rxInfo[]</c> (rssi, snr, count). Dropped with
/// everything else: <c>deviceInfo</c> names, tags and tenant ids, gateway ids, <c>rxInfo[].location</c> and metadata.
/// </summary>
internal static class ChirpStackRecordFields
{
    public static void Write(JsonElement root, Utf8JsonWriter writer)
    {
        // As processing has always told them apart: a status event is the one with a battery level or margin.
        if (UplinkJson.TryNumber(root, ChirpStackFormat.BatteryLevel, out _) || UplinkJson.TryNumber(root, ChirpStackFormat.Margin, out _))
        {
            RecordPayload.CopyNumber(writer, root, ChirpStackFormat.BatteryLevel, UplinkFields.Battery);
            RecordPayload.CopyNumber(writer, root, ChirpStackFormat.Margin, UplinkFields.Margin);
            return;
        }

        RecordPayload.CopyNumber(writer, root, ChirpStackFormat.FPort, UplinkFields.Port);
        RecordPayload.CopyNumber(writer, root, ChirpStackFormat.FCnt, UplinkFields.FrameCounter);
        RecordPayload.CopyValues(writer, root, ChirpStackFormat.Object, root, ChirpStackFormat.Data);
        RecordPayload.CopyGateways(writer, root, ChirpStackFormat.RxInfo);
    }
}
