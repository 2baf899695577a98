namespace Datacake.Streams.Processing.Replay;

/// <summary>The dead-letter reason code of each refusing verdict.</summary>
public static class ReplayVerdictReasons
{
    public const string Replayed = "replayed";
    public const string TooOld = "too_old";
    public const string TooFarInFuture = "too_far_in_future";

    /// <summary>Null for verdicts that are not dead-lettered (accepted, duplicate counter).</summary>
    public static string? ReasonCode(this ReplayVerdict verdict) => verdict switch
    {
        ReplayVerdict.Replayed => Replayed,
        ReplayVerdict.TooOld => TooOld,
        ReplayVerdict.TooFarInFuture => TooFarInFuture,
        _ => null,
    };
}
