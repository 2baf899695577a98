using System.Buffers;
using Datacake.Streams.Access;
using Datacake.Streams.Ids;
using Datacake.Streams.Processing.Decoding;
using Datacake.Streams.Processing.Dedup;
using Datacake.Streams.Processing.Pipeline;
using Datacake.Streams.Processing.Replay;
using Datacake.Streams.Processing.Values;
using Datacake.Streams.RecordLog;
using Datacake.Streams.Records;

namespace Datacake.Streams.Processing.State;

/// <summary>
/// One partition's replay guard and duplicate filter. <see cref="Admit"/> checks against what was written plus the
/// message ids admitted but not yet written (so a second copy inside the same batch is caught);
/// <see cref="Written"/> accepts the admitted records up to the position into both, then saves the state covering
/// exactly that position before the pipeline commits it (order write → state → commit, docs/PROCESSING.md).
/// </summary>
/// <remarks>
/// Admit runs on the partition's substream, Written on the checkpointer's thread: one lock per partition. Written
/// holds it while accepting and taking the snapshot, so a save never sees a half-accepted batch, and releases it for
/// the disk work (one file fsync + one directory fsync, a few ms).
/// </remarks>
internal sealed class GuardedPartitionState : IPartitionState
{
    private readonly Lock _lock = new();
    private readonly PartitionStateStore _store;
    private readonly RegistryView _registry;
    private readonly UplinkDecoder _uplinks;
    private readonly ReplayGuard _guard;
    private readonly DuplicateFilter _filter;
    private readonly long _coveredOffset;
    private readonly Queue<(long Offset, RawRecord Record)> _admitted = new();
    private readonly HashSet<(DeviceId Device, ulong Key)> _admittedKeys = [];
    private readonly DecodedPoints _decoded = new();
    private readonly ArrayBufferWriter<byte> _snapshot = new(4096);
    private long _savedOffset;

    public GuardedPartitionState(PartitionState loaded, PartitionStateStore store, RegistryView registry, UplinkDecoder uplinks)
    {
        _store = store;
        _registry = registry;
        _uplinks = uplinks;
        _guard = loaded.Guard;
        _filter = loaded.Filter;
        _coveredOffset = loaded.CoveredOffset ?? -1;
        _savedOffset = _coveredOffset;
    }

    public Verdict Admit(in RawRecord record, LogPosition position)
    {
        lock (_lock)
        {
            switch (_guard.Check(record))
            {
                case ReplayVerdict.Accepted:
                    break;
                case ReplayVerdict.DuplicateCounter:
                    return Verdict.Duplicate;
                case ReplayVerdict.Replayed:
                    // Saved state ahead of the commit (crash between the two): the record was written already.
                    return position.Offset <= _coveredOffset
                        ? Verdict.Duplicate
                        : Verdict.Reject(RejectReason.Replayed, ReplayDetail(record));
                case ReplayVerdict.TooOld:
                    return Verdict.Reject(RejectReason.TooOld, "point time is older than the raw retention");
                case ReplayVerdict.TooFarInFuture:
                    return Verdict.Reject(RejectReason.TooFarInFuture, "point time is too far ahead of now");
            }

            var key = record.MessageId is null ? 0 : KeyHash.Of(record.MessageId);
            if (_filter.IsDuplicate(record) || (key != 0 && _admittedKeys.Contains((record.DeviceId, key))))
            {
                return Verdict.Duplicate;
            }

            if (key != 0)
            {
                _admittedKeys.Add((record.DeviceId, key));
            }

            _admitted.Enqueue((position.Offset, record));
            return Verdict.Accept;
        }
    }

    public Verdict Decode(in RawRecord record, RecordPoints points)
    {
        if (record.PayloadKind == PayloadKind.JsonValues)
        {
            return JsonValuesDecoder.Decode(record, points);
        }

        _registry.TryGetDevice(record.DeviceId, out var device);
        _decoded.Clear();
        var result = _uplinks.Decode(record, device, _decoded);
        if (!result.Succeeded)
        {
            return Verdict.Reject(RejectReason.DecodeFailed, result.Error ?? "decoder failed");
        }

        DecodedPointsWriter.Write(_decoded, record.DeviceTimeUnixNs ?? record.ReceivedAtUnixNs, points);
        return Verdict.Accept;
    }

    public void Written(LogPosition upTo)
    {
        lock (_lock)
        {
            while (_admitted.TryPeek(out var next) && next.Offset <= upTo.Offset)
            {
                _admitted.Dequeue();
                _guard.Accept(next.Record);
                _filter.Accept(next.Record);
                if (next.Record.MessageId is { } id)
                {
                    _admittedKeys.Remove((next.Record.DeviceId, KeyHash.Of(id)));
                }
            }

            if (upTo.Offset <= _savedOffset)
            {
                return;
            }

            _snapshot.ResetWrittenCount();
            PartitionStateStore.Snapshot(upTo, _guard, _filter, _snapshot);
            _savedOffset = upTo.Offset;
        }

        // The disk work (two fsyncs) outside the lock: Admit goes on meanwhile. Written has one caller at a time
        // (the checkpointer), so the snapshot buffer is not shared.
        _store.Write(upTo.Partition, _snapshot.WrittenSpan);
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _admitted.Clear();
            _admittedKeys.Clear();
        }
    }

    private static string ReplayDetail(in RawRecord record) => record.FrameCounter is { } counter
        ? $"frame counter {counter} of session {record.Session ?? "(none)"} is not above the last accepted one, or the session was left"
        : $"webhook-id {record.WebhookMessageId} was accepted before";
}
