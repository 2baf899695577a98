namespace Datacake.Streams.Payloads.DeadLetters;

/// <summary>
/// Why a record was not written. The codes are stable: dead-letter readers (the owner's <c>GET /v1/devices/{id}/dead-letters</c>)
/// and metrics rely on them. Beside the dead letter's codec: processing writes them and the api reads them.
/// </summary>
public enum RejectReason
{
    None = 0,
    BadEnvelope,
    BadSignature,
    UnknownCredential,
    NotAuthorized,
    Replayed,
    TooOld,
    TooFarInFuture,

    /// <summary>Counted and dropped, never dead-lettered: the first copy was (or is being) written.</summary>
    Duplicate,
    DecodeFailed,
    RejectedByStore,

    /// <summary>The device's decoder kept hitting sandbox limits and is not run until edited.</summary>
    DecoderSuspended,

    /// <summary>The record would take its device past the limit of distinct field names.</summary>
    TooManyFields,

    /// <summary>The record made a stage fail the same way in every run the supervisor started (<c>Processing:PoisonAfterRestarts</c>).</summary>
    Poison,
}

public static class RejectReasonCodes
{
    /// <summary>The snake_case code written into dead letters and metric tags.</summary>
    public static string Code(this RejectReason reason) => reason switch
    {
        RejectReason.None => "none",
        RejectReason.BadEnvelope => "bad_envelope",
        RejectReason.BadSignature => "bad_signature",
        RejectReason.UnknownCredential => "unknown_credential",
        RejectReason.NotAuthorized => "not_authorized",
        RejectReason.Replayed => "replayed",
        RejectReason.TooOld => "too_old",
        RejectReason.TooFarInFuture => "too_far_in_future",
        RejectReason.Duplicate => "duplicate",
        RejectReason.DecodeFailed => "decode_failed",
        RejectReason.RejectedByStore => "rejected_by_store",
        RejectReason.DecoderSuspended => "decoder_suspended",
        RejectReason.TooManyFields => "too_many_fields",
        RejectReason.Poison => "poison",
        _ => "unknown",
    };

    public static bool TryParse(string? code, out RejectReason reason)
    {
        foreach (var candidate in Enum.GetValues<RejectReason>())
        {
            if (string.Equals(candidate.Code(), code, StringComparison.Ordinal))
            {
                reason = candidate;
                return true;
            }
        }

        reason = RejectReason.None;
        return false;
    }
}
