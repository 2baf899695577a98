namespace Datacake.Streams.Records;

/// <summary>Why bytes are not a raw record. Stable names: they become dead-letter reason codes.</summary>
public enum EnvelopeErrorCode
{
    None = 0,

    /// <summary>The input ends inside a field.</summary>
    Truncated,

    /// <summary>A varint longer than 10 bytes or overflowing 64 bits.</summary>
    MalformedVarint,

    /// <summary>Field number 0 or above the protobuf maximum.</summary>
    InvalidTag,

    /// <summary>Wire type 3, 4 (groups, never written by proto3), 6 or 7.</summary>
    UnsupportedWireType,

    /// <summary>A known field with a wire type other than the schema's.</summary>
    WrongWireType,

    /// <summary>A value that does not fit its field (e.g. above 2^32-1 in a uint32 field).</summary>
    ValueOutOfRange,

    /// <summary>A bytes field of the wrong size (device id 16, fingerprint and signature 32).</summary>
    BadFieldLength,

    /// <summary>A string field that is not valid UTF-8.</summary>
    InvalidUtf8,

    /// <summary>An enum value this version does not know: the processor cannot act on it correctly.</summary>
    UnknownEnumValue,

    /// <summary>A required field is absent.</summary>
    MissingField,

    /// <summary>The record's version is newer than this code supports.</summary>
    UnsupportedVersion,

    /// <summary>Fields that contradict each other (a fingerprint without a credential kind, a signature without a key id).</summary>
    Inconsistent,
}
