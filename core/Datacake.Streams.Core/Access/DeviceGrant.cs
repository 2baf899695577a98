using Datacake.Streams.Ids;

namespace Datacake.Streams.Access;

/// <summary>One entry of a token's device list.</summary>
public readonly record struct DeviceGrant(DeviceId Device, DeviceAccess Access);
