namespace Datacake.Streams.Processing.Replay;

/// <summary>What <see cref="ReplayGuard.Check"/> says about a record.</summary>
public enum ReplayVerdict
{
    /// <summary>Passes; call <see cref="ReplayGuard.Accept"/> once its points are written.</summary>
    Accepted = 0,

    /// <summary>
    /// The same frame counter as the last accepted one in the same session: the same uplink again (a retry or a
    /// second gateway path), not an attack. The pipeline drops it silently like a duplicate of
    /// <see cref="Dedup.DuplicateFilter"/> (counted, not dead-lettered), since its points were written already.
    /// </summary>
    DuplicateCounter = 1,

    /// <summary>The counter went back without a new session, the session is one the device left, or the webhook-id was seen: <c>replayed</c>.</summary>
    Replayed = 2,

    /// <summary>The point time is older than the raw tier's retention: <c>too_old</c>.</summary>
    TooOld = 3,

    /// <summary>The point time is more than the allowed skew ahead of now: <c>too_far_in_future</c>.</summary>
    TooFarInFuture = 4,
}
