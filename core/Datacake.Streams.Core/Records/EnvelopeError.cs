namespace Datacake.Streams.Records;

/// <summary>Why bytes are not a raw record. The processors dead-letter such records with reason <c>bad_envelope</c>.</summary>
public enum EnvelopeError
{
    None = 0,
    Empty,
    Truncated,
    MalformedVarint,
    UnsupportedWireType,
    BadLength,
    UnsupportedVersion,
    MissingDeviceId,
    BadDeviceId,
    BadFingerprint,
    BadSignature,
    SignatureNotLast,
    BadText,
    DuplicateField,
}
