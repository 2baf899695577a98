using Datacake.Streams.Payloads.Fields;

namespace Datacake.Streams.Payloads.Uplinks;

/// <summary>
/// Decodes a device's own bytes (a LoRaWAN FRMPayload the network server did not decode) into fields: the device's
/// decoder (CayenneLPP, JSON or a JavaScript decoder), which processing owns. A network's uplink reader calls it with
/// the bytes and port it found in the message.
/// </summary>
public interface IDeviceBytesDecoder
{
    DecodeResult Decode(ReadOnlySpan<byte> payload, uint port, IPointSink sink);
}
