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
/// Admit runs on the partition's substream, Written on the commit stage: one lock per partition. Written holds it
/// through the save (one file fsync + one directory fsync, a few ms) so a save never sees a half-accepted batch.
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
                    // Saved state ahead of the commit (crash between the two): the record was written already. And a
                    // message whose id was written before is that message again, arriving late (a Standard Webhooks
                    // retry with its webhook-id, a TTS uplink's third gateway after the next uplink): a duplicate, as it
                    // is when it lands in the same batch as the first copy, not a replay to dead-letter.
                    return position.Offset <= _coveredOffset || _filter.IsDuplicate(record)
                        ? Verdict.Duplicate
                        : Verdict.Reject(RejectReason.Replayed, ReplayDetail(_guard, record));
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

            if (upTo.Offset > _savedOffset)
            {
                _store.Save(upTo, _guard, _filter);
                _savedOffset = upTo.Offset;
            }
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _admitted.Clear();
            _admittedKeys.Clear();
        }
    }

    // The webhook-id is checked first: a signed uplink refused for its id must not be described by its (good) counter.
    private static string ReplayDetail(ReplayGuard guard, in RawRecord record) => guard.HasSeenWebhookId(record)
        ? $"webhook-id {record.WebhookMessageId} was accepted before for another message"
        : $"frame counter {record.FrameCounter} of session {record.Session ?? "(none)"} is not above the last accepted one, or the session was left";
}
