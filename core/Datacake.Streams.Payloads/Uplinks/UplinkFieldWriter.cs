using System.Text.Json;

namespace Datacake.Streams.Payloads.Uplinks;

/// <summary>
/// The pieces each network's allow-list writes a record's <see cref="UplinkFields"/> with: a number, the
/// measurements, the gateways' radio quality. Below the networks' folders, so that they and the dispatch in
/// <c>Networks/RecordPayload</c> both stand on it.
/// </summary>
internal static class UplinkFieldWriter
{
    /// <summary>A finite number member of <paramref name="parent"/> as <paramref name="member"/>; nothing when absent or not a number.</summary>
    internal static void CopyNumber(Utf8JsonWriter writer, JsonElement parent, string name, string member)
    {
        if (UplinkJson.TryNumber(parent, name, out var value))
        {
            writer.WriteNumber(member, value);
        }
    }

    /// <summary>
    /// The measurements: the network-side decoded object when there is one (processing prefers it), else the device
    /// bytes as a base64 string; true when either was written.
    /// </summary>
    internal static bool CopyValues(Utf8JsonWriter writer, JsonElement decodedParent, string decodedName, JsonElement bytesParent, string bytesName)
    {
        if (UplinkJson.TryObject(decodedParent, decodedName, out var decoded))
        {
            writer.WritePropertyName(UplinkFields.Decoded);
            decoded.WriteTo(writer);
            return true;
        }

        if (bytesParent.ValueKind == JsonValueKind.Object
            && bytesParent.TryGetProperty(bytesName, out var bytes)
            && bytes.ValueKind == JsonValueKind.String)
        {
            writer.WriteString(UplinkFields.Bytes, bytes.GetString());
            return true;
        }

        return false;
    }

    /// <summary>Of the gateway array, only how many there were and the best one's RSSI and SNR: no id, name or location.</summary>
    internal static void CopyGateways(Utf8JsonWriter writer, JsonElement parent, string arrayName)
    {
        if (!UplinkJson.TryBestGateway(parent, arrayName, out var count, out var rssi, out var snr))
        {
            return;
        }

        writer.WriteNumber(UplinkFields.Gateways, count);
        if (rssi is { } r)
        {
            writer.WriteNumber(UplinkFields.Rssi, r);
        }

        if (snr is { } s)
        {
            writer.WriteNumber(UplinkFields.Snr, s);
        }
    }
}
