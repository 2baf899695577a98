using Datacake.Streams.Payloads.DeadLetters;
namespace Datacake.Streams.Processing.Pipeline;

/// <summary>What a check decided about one record: go on, drop as a duplicate, or reject with a reason.</summary>
public readonly record struct Verdict(RejectReason Reason, string? Detail = null)
{
    public static Verdict Accept => default;

    public static Verdict Duplicate => new(RejectReason.Duplicate);

    public bool IsAccepted => Reason == RejectReason.None;

    public static Verdict Reject(RejectReason reason, string detail) => new(reason, detail);
}
