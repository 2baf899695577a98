using Datacake.Streams.Payloads.Networks;
using Datacake.Streams.Access;
using Datacake.Streams.Payloads.Uplinks;
using Datacake.Streams.Records;

namespace Datacake.Streams.Processing.Decoding;

/// <summary>
/// Decodes records that are not the ingest contract's JSON values: network-server uplinks (PayloadKind
/// UPLINK_FIELDS, the allow-listed fields ingest keeps, or UPLINK_JSON, the server's message as older records hold
/// it; both read by <see cref="NetworkUplink"/>) and raw device bytes (RAW_BYTES),
/// into the fields of one <c>values</c> point and one <c>meta</c> point. Device and time are the record's.
/// JSON_VALUES records are decoded by the pipeline's values decoder (Values/) and refused here.
/// </summary>
/// <remarks>Never throws on bad input: malformed JSON, wrong shapes and failing decoders end as <see cref="DecodeResult"/> failures.</remarks>
public sealed class UplinkDecoder(DevicePayloadDecoder deviceDecoder)
{
    private readonly DevicePayloadDecoder _deviceDecoder = deviceDecoder ?? throw new ArgumentNullException(nameof(deviceDecoder));

    public DecodeResult Decode(in RawRecord record, DeviceEntry? device, IPointSink sink)
    {
        ArgumentNullException.ThrowIfNull(sink);
        return record.PayloadKind switch
        {
            PayloadKind.RawBytes => _deviceDecoder.Decode(device, record.Payload.Span, record.Port ?? 0, sink),
            PayloadKind.UplinkFields or PayloadKind.UplinkJson => NetworkUplink.Decode(record.Source, record.PayloadKind, record.Payload, new DeviceBytes(device, _deviceDecoder), sink),
            _ => DecodeResult.Failed($"payload kind {record.PayloadKind} is not an uplink"),
        };
    }

    /// <summary>The record's device and its decoder, for the bytes a network server left undecoded.</summary>
    private readonly struct DeviceBytes(DeviceEntry? device, DevicePayloadDecoder decoder) : IDeviceBytesDecoder
    {
        public DecodeResult Decode(ReadOnlySpan<byte> payload, uint port, IPointSink sink) => decoder.Decode(device, payload, port, sink);
    }
}
