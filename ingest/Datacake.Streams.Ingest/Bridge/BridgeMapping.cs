namespace Datacake.Streams.Ingest.Bridge;

/// <summary>
/// How a bridged message names its device: a topic template with one placeholder (<c>sensors/{devEui}/up</c>,
/// <c>things/{serial}/data</c>, <c>{deviceId}</c>), or a JSON pointer into the payload (<c>/end_device_ids/dev_eui</c>)
/// with <see cref="Identity"/> saying what the value is. Exactly one of the two.
/// </summary>
public sealed record BridgeMapping
{
    /// <summary>
    /// Topic segments: literals, <c>+</c> (any one segment), a final <c>#</c> (the rest), and one placeholder
    /// <c>{deviceId}</c>, <c>{devEui}</c> or <c>{serial}</c>, alone in its segment or with a literal prefix/suffix
    /// (<c>dev-{serial}</c>).
    /// </summary>
    public string? Topic { get; init; }

    /// <summary>RFC 6901 JSON pointer to a string or number in the payload.</summary>
    public string? JsonPointer { get; init; }

    /// <summary>What the value at <see cref="JsonPointer"/> is. Ignored with <see cref="Topic"/>: the placeholder says it.</summary>
    public DeviceIdentityKind Identity { get; init; } = DeviceIdentityKind.DeviceId;
}

/// <summary>What a message's device reference is, resolved through the registry within the bridge token's reach.</summary>
public enum DeviceIdentityKind
{
    /// <summary>The platform's own device id, <c>dev_…</c>.</summary>
    DeviceId,

    /// <summary>A LoRaWAN DevEUI, 16 hex digits (separators allowed).</summary>
    DevEui,

    /// <summary>The device's serial number as registered.</summary>
    Serial,
}
