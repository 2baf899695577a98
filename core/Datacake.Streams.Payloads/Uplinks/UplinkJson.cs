using System.Buffers;
using System.Text.Json;
using Datacake.Streams.Payloads.Fields;

namespace Datacake.Streams.Payloads.Uplinks;

/// <summary>Reading helpers shared by the network-server uplink formats; none throws on a wrong shape.</summary>
internal static class UplinkJson
{
    /// <summary>LoRaWAN FRMPayload is at most 242 bytes; 4 KiB leaves room for other networks without a pooled giant.</summary>
    public const int MaxRawBytes = 4096;

    public static bool TryNumber(JsonElement parent, string name, out double value)
    {
        value = 0;
        return parent.ValueKind == JsonValueKind.Object
            && parent.TryGetProperty(name, out var element)
            && element.ValueKind == JsonValueKind.Number
            && element.TryGetDouble(out value)
            && double.IsFinite(value);
    }

    public static bool TryObject(JsonElement parent, string name, out JsonElement value)
    {
        value = default;
        return parent.ValueKind == JsonValueKind.Object
            && parent.TryGetProperty(name, out value)
            && value.ValueKind == JsonValueKind.Object;
    }

    public static void AddMeta(JsonElement parent, string name, string field, IPointSink sink)
    {
        if (TryNumber(parent, name, out var value))
        {
            sink.AddMeta(field, value);
        }
    }

    /// <summary>Writes gateways (count) and the rssi/snr of the best gateway: the one with the highest RSSI.</summary>
    public static void AddGateways(JsonElement parent, string arrayName, IPointSink sink)
    {
        if (!TryBestGateway(parent, arrayName, out var count, out var bestRssi, out var bestSnr))
        {
            return;
        }

        sink.AddMeta(MetaFields.Gateways, count);
        if (bestRssi is { } r)
        {
            sink.AddMeta(MetaFields.Rssi, r);
        }

        if (bestSnr is { } s)
        {
            sink.AddMeta(MetaFields.Snr, s);
        }
    }

    /// <summary>How many gateways an uplink array lists and the RSSI/SNR of the best (highest RSSI); false when there is no array.</summary>
    public static bool TryBestGateway(JsonElement parent, string arrayName, out int count, out double? bestRssi, out double? bestSnr)
    {
        count = 0;
        bestRssi = null;
        bestSnr = null;
        if (parent.ValueKind != JsonValueKind.Object
            || !parent.TryGetProperty(arrayName, out var gateways)
            || gateways.ValueKind != JsonValueKind.Array)
        {
            return false;
        }

        foreach (var gateway in gateways.EnumerateArray())
        {
            count++;
            if (TryNumber(gateway, "rssi", out var rssi) && (bestRssi is null || rssi > bestRssi))
            {
                bestRssi = rssi;
                bestSnr = TryNumber(gateway, "snr", out var snr) ? snr : null;
            }
        }

        return true;
    }

    /// <summary>Base64 bytes through the device's decoder (<paramref name="deviceBytes"/>); a missing or empty payload (a MAC-only frame) writes no values.</summary>
    public static DecodeResult DecodeBase64<TBytes>(JsonElement parent, string name, uint port, TBytes deviceBytes, IPointSink sink)
        where TBytes : IDeviceBytesDecoder
    {
        if (parent.ValueKind != JsonValueKind.Object || !parent.TryGetProperty(name, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return DecodeResult.Ok;
        }

        if (element.ValueKind != JsonValueKind.String)
        {
            return DecodeResult.Failed($"'{name}' is not a base64 string");
        }

        var text = element.GetString()!;
        if (text.Length == 0)
        {
            return DecodeResult.Ok;
        }

        if (text.Length > MaxRawBytes * 4 / 3 + 4)
        {
            return DecodeResult.Failed($"'{name}' is longer than {MaxRawBytes} bytes");
        }

        var buffer = ArrayPool<byte>.Shared.Rent(MaxRawBytes + 3);
        try
        {
            return Convert.TryFromBase64String(text, buffer, out var written)
                ? deviceBytes.Decode(buffer.AsSpan(0, written), port, sink)
                : DecodeResult.Failed($"'{name}' is not valid base64");
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public static uint PortOf(JsonElement parent, string name) =>
        TryNumber(parent, name, out var port) && port is >= 0 and <= 255 ? (uint)port : 0;
}
