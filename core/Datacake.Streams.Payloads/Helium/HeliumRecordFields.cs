using System.Text.Json;
using Datacake.Streams.Payloads.Networks;
using Datacake.Streams.Payloads.Uplinks;

namespace Datacake.Streams.Payloads.Helium;

/// <summary>
/// The allow-list of a Helium Console uplink: <c>port</c>, <c>fcnt</c>, <c>decoded.payload</c> or <c>payload</c> and
/// the best of <c>hotspots[]</c> (rssi, snr, count). Dropped with everything else: the device <c>name</c>, labels,
/// organization ids, hotspot names, ids and lat/long, <c>raw_packet</c>.
/// </summary>
internal static class HeliumRecordFields
{
    public static void Write(JsonElement root, Utf8JsonWriter writer)
    {
        RecordPayload.CopyNumber(writer, root, HeliumFormat.Port, UplinkFields.Port);
        RecordPayload.CopyNumber(writer, root, HeliumFormat.Fcnt, UplinkFields.FrameCounter);
        var decodedParent = root.TryGetProperty(HeliumFormat.Decoded, out var decoded) ? decoded : default;
        if (!RecordPayload.CopyValues(writer, decodedParent, HeliumFormat.Payload, root, HeliumFormat.Payload)
            && (root.TryGetProperty(HeliumFormat.Payload, out _) || root.TryGetProperty(HeliumFormat.Decoded, out _)))
        {
            // An uplink without bytes (a MAC-only frame) stays one: processing tells it from a message with no payload at all.
            writer.WriteString(UplinkFields.Bytes, string.Empty);
        }

        RecordPayload.CopyGateways(writer, root, HeliumFormat.Hotspots);
    }
}
