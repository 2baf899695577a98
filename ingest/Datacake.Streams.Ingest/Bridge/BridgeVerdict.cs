namespace Datacake.Streams.Ingest.Bridge;

/// <summary>What became of one bridged message before the append.</summary>
public enum BridgeVerdict
{
    /// <summary>A record was built; it is acknowledged once the append is durable.</summary>
    Accepted,

    /// <summary>Larger than <see cref="BridgeDefinition.MaxPayloadBytes"/>: acknowledged and dropped.</summary>
    PayloadTooLarge,

    /// <summary>The topic does not match the template, or the payload has nothing at the JSON pointer: acknowledged and dropped.</summary>
    Unmapped,

    /// <summary>No live device the bridge's token may write carries that identity: acknowledged and dropped.</summary>
    UnknownDevice,

    /// <summary>The bridge's token is unknown, disabled, revoked or expired: not acknowledged; the bridge stops its session.</summary>
    CredentialRefused,
}
