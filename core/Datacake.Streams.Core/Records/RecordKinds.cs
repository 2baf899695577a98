namespace Datacake.Streams.Records;

// Values equal those of raw_record.proto: the codec writes them as they are.

/// <summary>Which adapter received a record.</summary>
public enum SourceKind
{
    Unspecified = 0,
    Http = 1,
    Mqtt = 2,
    MqttBridge = 3,
    Tts = 4,
    ChirpStack = 5,
    Helium = 6,
    Particle = 7,
}

/// <summary>How the processors read a record's payload.</summary>
public enum PayloadKind
{
    Unspecified = 0,

    /// <summary>JSON values as HTTP and MQTT ingest accept them.</summary>
    JsonValues = 1,

    /// <summary>Device bytes for the device's decoder.</summary>
    RawBytes = 2,

    /// <summary>A network server's uplink message as received: what webhook records held before the allow-list; still decoded.</summary>
    UplinkJson = 3,

    /// <summary>The allow-listed fields of a network server's uplink (payload, counter, port, radio quality), one form for every network.</summary>
    UplinkFields = 4,
}

/// <summary>What kind of credential the fingerprint names.</summary>
public enum CredentialKind
{
    Unspecified = 0,
    Token = 1,
    Webhook = 2,
}
