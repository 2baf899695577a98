using System.Text.Json;
using Datacake.Streams.Payloads.ChirpStack;
using Datacake.Streams.Payloads.Fields;
using Datacake.Streams.Payloads.Helium;
using Datacake.Streams.Payloads.Particle;
using Datacake.Streams.Payloads.TheThingsStack;
using Datacake.Streams.Payloads.Uplinks;
using Datacake.Streams.Records;

namespace Datacake.Streams.Payloads.Networks;

/// <summary>
/// Decodes a network server's message as ingest stored it (PayloadKind UPLINK_FIELDS, or UPLINK_JSON in older records) into the fields of one
/// <c>values</c> point and one <c>meta</c> point, by the format of its source: each network's folder holds both the
/// envelope parse ingest runs and the uplink decode run here.
/// </summary>
/// <remarks>Never throws on bad input: malformed JSON and wrong shapes end as <see cref="DecodeResult"/> failures.</remarks>
public static class NetworkUplink
{
    // Network servers nest 4-5 levels; a decoded payload may nest 3 more.
    private static readonly JsonDocumentOptions s_jsonOptions = new() { MaxDepth = 32 };

    /// <summary>
    /// A record's uplink: <see cref="PayloadKind.UplinkFields"/> (what ingest writes, <see cref="UplinkFields"/>) or
    /// <see cref="PayloadKind.UplinkJson"/> (the sender's own message, as records appended before the allow-list hold it).
    /// </summary>
    public static DecodeResult Decode<TBytes>(SourceKind source, PayloadKind kind, ReadOnlyMemory<byte> message, TBytes deviceBytes, IPointSink sink)
        where TBytes : IDeviceBytesDecoder
    {
        ArgumentNullException.ThrowIfNull(sink);
        try
        {
            using var document = JsonDocument.Parse(message, s_jsonOptions);
            var root = document.RootElement;
            if (kind == PayloadKind.UplinkFields)
            {
                return source is SourceKind.Tts or SourceKind.ChirpStack or SourceKind.Helium or SourceKind.Particle
                    ? UplinkFieldsReader.Read(source, root, deviceBytes, sink)
                    : DecodeResult.Failed($"source {source} sends no uplink fields");
            }

            return source switch
            {
                SourceKind.Tts => TtsUplink.Read(root, deviceBytes, sink),
                SourceKind.ChirpStack => ChirpStackUplink.Read(root, deviceBytes, sink),
                SourceKind.Helium => HeliumUplink.Read(root, deviceBytes, sink),
                SourceKind.Particle => ParticleEvent.Read(root, sink),
                _ => DecodeResult.Failed($"source {source} sends no uplink JSON"),
            };
        }
        catch (JsonException ex)
        {
            return DecodeResult.Failed("uplink is not JSON: " + ex.Message);
        }
        catch (InvalidOperationException ex)
        {
            // JsonDocument validates structure, not the UTF-8 inside strings: reading such a string throws this.
            return DecodeResult.Failed("uplink holds invalid text: " + ex.Message);
        }
    }
}
