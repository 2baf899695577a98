using System.Text.Json;
using Datacake.Streams.Access;
using Datacake.Streams.Records;

namespace Datacake.Streams.Processing.Decoding;

/// <summary>
/// Decodes records that are not the ingest contract's JSON values: network-server uplinks (PayloadKind
/// UPLINK_JSON, stored as the server sent them) and raw device bytes (RAW_BYTES), into the fields of one
/// <c>values</c> point and one <c>meta</c> point. Device and time are the record's. JSON_VALUES records are decoded by
/// the pipeline's values decoder (Values/) and refused here.
/// </summary>
/// <remarks>Never throws on bad input: malformed JSON, wrong shapes and failing decoders end as <see cref="DecodeResult"/> failures.</remarks>
public sealed class UplinkDecoder(DevicePayloadDecoder deviceDecoder)
{
    // Network servers nest 4-5 levels; a decoded payload may nest 3 more.
    private static readonly JsonDocumentOptions _jsonOptions = new() { MaxDepth = 32 };

    private readonly DevicePayloadDecoder _deviceDecoder = deviceDecoder ?? throw new ArgumentNullException(nameof(deviceDecoder));

    public DecodeResult Decode(in RawRecord record, DeviceEntry? device, IPointSink sink)
    {
        ArgumentNullException.ThrowIfNull(sink);
        switch (record.PayloadKind)
        {
            case PayloadKind.RawBytes:
                return _deviceDecoder.Decode(device, record.Payload.Span, record.Port ?? 0, sink);
            case PayloadKind.UplinkJson:
                break;
            default:
                return DecodeResult.Failed($"payload kind {record.PayloadKind} is not an uplink");
        }

        try
        {
            using var document = JsonDocument.Parse(record.Payload, _jsonOptions);
            var context = new UplinkContext(device, _deviceDecoder);
            var root = document.RootElement;
            return record.Source switch
            {
                SourceKind.Tts => TtsUplink.Read(root, context, sink),
                SourceKind.ChirpStack => ChirpStackUplink.Read(root, context, sink),
                SourceKind.Helium => HeliumUplink.Read(root, context, sink),
                SourceKind.Particle => ParticleEvent.Read(root, sink),
                _ => DecodeResult.Failed($"source {record.Source} sends no uplink JSON"),
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
