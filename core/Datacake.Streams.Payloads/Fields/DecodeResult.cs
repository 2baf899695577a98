namespace Datacake.Streams.Payloads.Fields;

/// <summary>Outcome of decoding one record. A failure dead-letters the record with <see cref="ReasonCode"/> and <see cref="Error"/> as detail.</summary>
public readonly record struct DecodeResult(bool Succeeded, string? Error)
{
    public const string ReasonCode = "decode_failed";

    public static DecodeResult Ok => new(true, null);

    public static DecodeResult Failed(string error) => new(false, error);
}
