using System.Text.Json;
using Datacake.Streams.Payloads.Fields;
using Datacake.Streams.Payloads.Particle;
using Datacake.Streams.Payloads.Uplinks;
using Datacake.Streams.Records;

namespace Datacake.Streams.Payloads.Networks;

/// <summary>
/// Decodes a stored <see cref="UplinkFields"/> object into one <c>values</c> and one <c>meta</c> point, to the same
/// fields the sender's own message gave (<c>decoded</c> object, else Particle <c>data</c>, else <c>bytes</c> through
/// the device's decoder with <c>port</c>; radio quality, counter, port, battery and margin as meta).
/// </summary>
internal static class UplinkFieldsReader
{
    public static DecodeResult Read<TBytes>(SourceKind source, JsonElement root, TBytes deviceBytes, IPointSink sink)
        where TBytes : IDeviceBytesDecoder
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return DecodeResult.Failed("uplink fields: not a JSON object");
        }

        DecodeResult result;
        if (UplinkJson.TryObject(root, UplinkFields.Decoded, out var decoded))
        {
            result = DecodedObjectWriter.Write(decoded, sink);
        }
        else if (root.TryGetProperty(UplinkFields.Data, out var data))
        {
            result = data.ValueKind == JsonValueKind.String
                ? ParticleEvent.ReadText(data.GetString()!, sink)
                : DecodeResult.Failed("particle: data is not a string");
        }
        else if (root.TryGetProperty(UplinkFields.Bytes, out _))
        {
            result = UplinkJson.DecodeBase64(root, UplinkFields.Bytes, UplinkJson.PortOf(root, UplinkFields.Port), deviceBytes, sink);
        }
        else
        {
            // What the sender's messages without values decoded to: a Particle event and a Helium uplink always
            // carry one, a TTS or ChirpStack MAC-only frame or status event writes only meta.
            result = source switch
            {
                SourceKind.Particle => DecodeResult.Failed("particle: the event has no data"),
                SourceKind.Helium => DecodeResult.Failed("helium: not an uplink (no payload)"),
                _ => DecodeResult.Ok,
            };
        }

        if (!result.Succeeded)
        {
            return result;
        }

        UplinkJson.AddMeta(root, UplinkFields.Gateways, MetaFields.Gateways, sink);
        UplinkJson.AddMeta(root, UplinkFields.Rssi, MetaFields.Rssi, sink);
        UplinkJson.AddMeta(root, UplinkFields.Snr, MetaFields.Snr, sink);
        UplinkJson.AddMeta(root, UplinkFields.FrameCounter, MetaFields.FrameCounter, sink);
        UplinkJson.AddMeta(root, UplinkFields.Port, MetaFields.Port, sink);
        UplinkJson.AddMeta(root, UplinkFields.Battery, MetaFields.Battery, sink);
        UplinkJson.AddMeta(root, UplinkFields.Margin, MetaFields.Margin, sink);
        return DecodeResult.Ok;
    }
}
