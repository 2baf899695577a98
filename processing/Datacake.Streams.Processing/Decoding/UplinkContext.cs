using Datacake.Streams.Access;

namespace Datacake.Streams.Processing.Decoding;

/// <summary>What an uplink format needs to decode raw bytes: the device and its decoder.</summary>
internal readonly record struct UplinkContext(DeviceEntry? Device, DevicePayloadDecoder Decoder);
