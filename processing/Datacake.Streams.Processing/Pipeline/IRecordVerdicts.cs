using Datacake.Streams.RecordLog;
using Datacake.Streams.Records;
using Datacake.Streams.Payloads.DeadLetters;

namespace Datacake.Streams.Processing.Pipeline;

/// <summary>
/// The seam between the pipeline and the per-device state of replay guard, duplicate filter and payload decoders.
/// The pipeline opens one <see cref="IPartitionState"/> per log partition it is assigned, and a fresh one each
/// time the partition is (re)assigned, so that state another member advanced meanwhile is reloaded.
/// </summary>
public interface IRecordVerdicts
{
    /// <summary>
    /// State for <paramref name="partition"/>, loaded as of the group's last committed position of it (a restarted
    /// or newly assigned member replays the records after that position, so the state must not already hold them).
    /// </summary>
    IPartitionState Open(int partition);
}

/// <summary>
/// The state of one partition. <see cref="Admit"/> and <see cref="Decode"/> are called from one stage, one record at
/// a time in log order; <see cref="Written"/> comes from the checkpointer, on another thread, and must synchronise
/// with them.
/// </summary>
public interface IPartitionState : IDisposable
{
    /// <summary>
    /// Replay guard and duplicate filter for an authenticated record. Accepting remembers the record's keys at once
    /// (a duplicate later in the same batch must be caught before anything is written); returns
    /// <see cref="Verdict.Duplicate"/> for a duplicate, a rejection with <see cref="RejectReason.Replayed"/> (or
    /// another reason) for a replay.
    /// </summary>
    Verdict Admit(in RawRecord record, LogPosition position);

    /// <summary>Turns an admitted record into points; a rejection (usually <see cref="RejectReason.DecodeFailed"/>) discards what it wrote.</summary>
    Verdict Decode(in RawRecord record, RecordPoints points);

    /// <summary>
    /// Every record of this partition up to and including <paramref name="upTo"/> is in InfluxDB (or dead-lettered)
    /// and its position is about to be committed: persist or snapshot the state that covers them.
    /// </summary>
    void Written(LogPosition upTo);
}
