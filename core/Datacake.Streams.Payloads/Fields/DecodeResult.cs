namespace Datacake.Streams.Payloads.Fields;

/// <summary>
/// Outcome of decoding one record. A failure dead-letters the record with <see cref="ReasonCode"/> (or
/// <see cref="SuspendedReasonCode"/> when <see cref="IsSuspended"/>) and <see cref="Error"/> as detail.
/// </summary>
public readonly record struct DecodeResult(bool Succeeded, string? Error, bool IsSuspended = false)
{
    public const string ReasonCode = "decode_failed";

    public const string SuspendedReasonCode = "decoder_suspended";

    public static DecodeResult Ok => new(true, null);

    public static DecodeResult Failed(string error) => new(false, error);

    /// <summary>The decoder was not run: it is suspended (see <see cref="DecoderSuspensions"/>).</summary>
    public static DecodeResult Suspended(string reason) => new(false, reason, IsSuspended: true);
}
