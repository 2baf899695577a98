using Datacake.Streams.Ids;
using Datacake.Streams.RecordLog;
using Datacake.Streams.Records;

namespace Datacake.Streams.Processing.Pipeline;

/// <summary>
/// One log record on its way through the stages. Each stage fills in what it learned; the element is owned by one
/// stage at a time, so it is mutable and allocated once per record.
/// </summary>
public sealed class PipelineRecord
{
    public PipelineRecord(LogRecord source, long epoch)
    {
        Source = source;
        Epoch = epoch;
    }

    public LogRecord Source { get; }

    public LogPosition Position => Source.Position;

    public int Partition => Source.Position.Partition;

    /// <summary>The partition's assignment epoch when the record was read; a commit of another epoch is refused.</summary>
    public long Epoch { get; }

    /// <summary>The decoded envelope; default until the envelope check passed.</summary>
    public RawRecord Raw { get; internal set; }

    public bool HasEnvelope { get; internal set; }

    public RejectReason Reason { get; private set; }

    public string? Detail { get; private set; }

    public ReadOnlyMemory<byte> ValuesLines { get; internal set; }

    public int ValuesCount { get; internal set; }

    public ReadOnlyMemory<byte> MetaLines { get; internal set; }

    public int MetaCount { get; internal set; }

    public bool IsRejected => Reason != RejectReason.None;

    public bool IsDuplicate => Reason == RejectReason.Duplicate;

    /// <summary>Rejected for a reason that goes to the dead-letter topic (every reason but a duplicate).</summary>
    public bool IsDeadLetter => Reason is not RejectReason.None and not RejectReason.Duplicate;

    /// <summary>The dead-letter key: the device id bytes, from the envelope or else the log key.</summary>
    public ReadOnlyMemory<byte> DeviceKey => HasEnvelope ? Raw.DeviceId.ToBytes() : Source.Key;

    public DeviceId? Device => HasEnvelope ? Raw.DeviceId : null;

    public void Reject(RejectReason reason, string? detail)
    {
        Reason = reason;
        Detail = detail;
        ValuesLines = default;
        MetaLines = default;
        ValuesCount = 0;
        MetaCount = 0;
    }
}
