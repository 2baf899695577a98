using Datacake.Streams.RecordLog;

namespace Datacake.Streams.Payloads.DeadLetters;

/// <summary>
/// A rejected record on <c>dcs.deadletter</c> (key: the device id bytes): why, and the original bytes so that it can
/// be inspected or replayed. Holds no secret: the envelope carries only a credential fingerprint.
/// </summary>
public sealed record DeadLetterRecord(
    RejectReason Reason,
    string Detail,
    LogPosition Source,
    DateTimeOffset RejectedAt,
    ReadOnlyMemory<byte> Original);
