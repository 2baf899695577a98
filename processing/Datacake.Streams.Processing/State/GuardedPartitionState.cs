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
using Datacake.Streams.Payloads.DeadLetters;

namespace Datacake.Streams.Processing.State;

/// <summary>
/// One partition's replay guard and duplicate filter. <see cref="Admit"/> checks against what was written plus the
/// message ids admitted but not yet written (so a second copy inside the same batch is caught);
/// <see cref="Written"/> accepts the admitted records up to the position into both, then saves the state covering
/// exactly that position before the pipeline commits it (order write → state → commit, docs/PROCESSING.md): it
/// appends those records to the partition's journal (<see cref="PartitionJournal"/>), and once the journal outgrows
/// twice the snapshot it writes a new snapshot and starts the journal over.
/// </summary>
/// <remarks>
/// Admit runs on the partition's substream, Written on the checkpointer's thread: one lock per partition. Written
/// holds it while accepting and encoding (or snapshotting), so a save never sees a half-accepted batch, and releases
/// it for the disk work (an append and its fsync; a compaction adds a snapshot and a directory fsync).
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
    private readonly Queue<(long Offset, AcceptedRecord Record)> _admitted = new();
    private readonly HashSet<(DeviceId Device, ulong Key)> _admittedKeys = [];
    private readonly DecodedPoints _decoded = new();
    private readonly ArrayBufferWriter<byte> _snapshot = new(4096);
    private readonly ArrayBufferWriter<byte> _entry = new(4096);
    private readonly Lock _io = new();
    private readonly PartitionJournal _journal;
    private long _snapshotLength;
    private int _entryCount;
    private volatile bool _disposed;

    // Frame counters and webhook-ids of records admitted but not yet written. The guard learns a record only in
    // Written, after InfluxDB took its batch, and records keep arriving meanwhile (in the same batch or the next
    // ones): without these, an older frame or a reused webhook-id admitted in that window would pass and be written.
    private readonly Dictionary<DeviceId, PendingCounter> _pendingCounters = [];
    private readonly Dictionary<ulong, int> _pendingWebhookIds = [];
    private readonly ReplayGuardOptions _replayOptions;
    private long _savedOffset;

    public GuardedPartitionState(PartitionState loaded, PartitionStateStore store, RegistryView registry, UplinkDecoder uplinks, ReplayGuardOptions replayOptions)
    {
        _store = store;
        _replayOptions = replayOptions;
        _registry = registry;
        _uplinks = uplinks;
        _guard = loaded.Guard;
        _filter = loaded.Filter;
        _coveredOffset = loaded.CoveredOffset ?? -1;
        _savedOffset = _coveredOffset;
        _snapshotLength = loaded.SnapshotLength;
        _journal = store.OpenJournal(loaded);
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
                    return position.Offset <= _coveredOffset || _filter.IsDuplicate(record, KeyHash.OfMessageId(record))
                        ? Verdict.Duplicate
                        : Verdict.Reject(RejectReason.Replayed, ReplayDetail(_guard, record));
                case ReplayVerdict.TooOld:
                    return Verdict.Reject(RejectReason.TooOld, "point time is older than the raw retention");
                case ReplayVerdict.TooFarInFuture:
                    return Verdict.Reject(RejectReason.TooFarInFuture, "point time is too far ahead of now");
            }

            // Hashed once here; the filter and Written reuse it.
            var key = KeyHash.OfMessageId(record);
            if (_filter.IsDuplicate(record, key) || (key != 0 && _admittedKeys.Contains((record.DeviceId, key))))
            {
                return Verdict.Duplicate;
            }

            if (PendingVerdict(record) is { } pending)
            {
                return pending;
            }

            if (key != 0)
            {
                _admittedKeys.Add((record.DeviceId, key));
            }

            _admitted.Enqueue((position.Offset, AcceptedRecord.Of(record, key)));
            AddPending(record);
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
            return Verdict.Reject(result.IsSuspended ? RejectReason.DecoderSuspended : RejectReason.DecodeFailed, result.Error ?? "decoder failed");
        }

        DecodedPointsWriter.Write(_decoded, record.DeviceTimeUnixNs ?? record.ReceivedAtUnixNs, points);
        return Verdict.Accept;
    }

    public void Written(LogPosition upTo)
    {
        bool compact;
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            while (_admitted.TryPeek(out var next) && next.Offset <= upTo.Offset)
            {
                _admitted.Dequeue();
                var record = next.Record;
                _guard.Accept(record);
                // Admit let it through only when neither the filter nor another admitted record held its key.
                _filter.Accept(record.DeviceId, record.ReceivedAtUnixNs, record.MessageKey, knownNew: true);
                RemovePending(record);
                if (record.MessageKey != 0)
                {
                    _admittedKeys.Remove((record.DeviceId, record.MessageKey));
                }

                if (_entryCount++ == 0)
                {
                    PartitionJournal.BeginEntry(_entry);
                }

                PartitionJournal.AddRecord(_entry, record);
            }

            if (upTo.Offset <= _savedOffset)
            {
                // Covered already (records re-read after a restart): journaled with the next entry, which covers more.
                return;
            }

            compact = _journal.Length + _entry.WrittenCount > Math.Max(_store.MinJournalBytes, 2 * _snapshotLength);
            if (compact)
            {
                _snapshot.ResetWrittenCount();
                PartitionStateStore.Snapshot(upTo, _guard, _filter, _snapshot);
            }
            else
            {
                // An entry without records still moves the covered offset (a batch of duplicates and dead letters).
                if (_entryCount == 0)
                {
                    PartitionJournal.BeginEntry(_entry);
                }

                PartitionJournal.EndEntry(_entry, upTo.Offset, _entryCount);
            }

            _savedOffset = upTo.Offset;
        }

        // The disk work (an append and its fsync; on compaction a snapshot and a new journal) outside the lock: Admit
        // goes on meanwhile. Written has one caller at a time (the checkpointer), so the buffers are not shared.
        lock (_io)
        {
            if (_disposed)
            {
                return;
            }

            if (compact)
            {
                _store.Write(upTo.Partition, _snapshot.WrittenSpan);
                _snapshotLength = _snapshot.WrittenCount;
                _journal.Restart(upTo.Offset);
            }
            else
            {
                _journal.Append(_entry.WrittenSpan);
            }

            _entry.ResetWrittenCount();
            _entryCount = 0;
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            _admitted.Clear();
            _admittedKeys.Clear();
            _pendingCounters.Clear();
            _pendingWebhookIds.Clear();
        }

        lock (_io)
        {
            _journal.Dispose();
        }
    }

    /// <summary>Checks a record the written state let through against the records admitted before it and not yet written.</summary>
    private Verdict? PendingVerdict(in RawRecord record)
    {
        if (record.WebhookMessageId is not null && _pendingWebhookIds.ContainsKey(WebhookKey(record)))
        {
            return Verdict.Reject(RejectReason.Replayed, $"webhook-id {record.WebhookMessageId} was accepted before for another message");
        }

        if (record.FrameCounter is not { } counter || !_pendingCounters.TryGetValue(record.DeviceId, out var pending))
        {
            return null;
        }

        var session = KeyHash.Of(record.Session);
        if (session != 0 && session != pending.Session)
        {
            // Another session than the pending one: a join in between; a return to an older session the guard sees once written.
            return null;
        }

        // As the guard: a 16-bit counter is read as the nearest step forward, a step beyond the gap is a frame from behind.
        var sixteenBit = _replayOptions.SixteenBitCounterSources.Contains(record.Source);
        var step = sixteenBit ? (counter - pending.Counter) & 0xFFFF : (long)counter - pending.Counter;
        if (step > 0 && (!sixteenBit || step <= _replayOptions.MaxFrameCounterGap))
        {
            return null;
        }

        return step == 0
            ? Verdict.Duplicate
            : Verdict.Reject(RejectReason.Replayed, $"frame counter {counter} of session {record.Session ?? "(none)"} is not above one admitted before it");
    }

    private void AddPending(in RawRecord record)
    {
        if (record.WebhookMessageId is not null)
        {
            var key = WebhookKey(record);
            _pendingWebhookIds[key] = _pendingWebhookIds.GetValueOrDefault(key) + 1;
        }

        if (record.FrameCounter is { } counter)
        {
            if (!_pendingCounters.TryGetValue(record.DeviceId, out var pending))
            {
                pending = new PendingCounter();
                _pendingCounters.Add(record.DeviceId, pending);
            }

            var session = KeyHash.Of(record.Session);
            if (session != 0 || pending.Count == 0)
            {
                pending.Session = session;
            }

            pending.Counter = counter;
            pending.Count++;
        }
    }

    private void RemovePending(in AcceptedRecord record)
    {
        if (record.WebhookKey != 0 && _pendingWebhookIds.TryGetValue(record.WebhookKey, out var count))
        {
            if (count <= 1)
            {
                _pendingWebhookIds.Remove(record.WebhookKey);
            }
            else
            {
                _pendingWebhookIds[record.WebhookKey] = count - 1;
            }
        }

        if (record.FrameCounter is not null && _pendingCounters.TryGetValue(record.DeviceId, out var pending) && --pending.Count <= 0)
        {
            _pendingCounters.Remove(record.DeviceId);
        }
    }

    private static ulong WebhookKey(in RawRecord record) => KeyHash.Of(record.WebhookMessageId, (long)KeyHash.Of(record.RouteId));

    /// <summary>The newest admitted, unwritten frame counter of a device, its session, and how many such records there are.</summary>
    private sealed class PendingCounter
    {
        public ulong Session { get; set; }

        public uint Counter { get; set; }

        public int Count { get; set; }
    }

    // The webhook-id is checked first: a signed uplink refused for its id must not be described by its (good) counter.
    private static string ReplayDetail(ReplayGuard guard, in RawRecord record) => guard.HasSeenWebhookId(record)
        ? $"webhook-id {record.WebhookMessageId} was accepted before for another message"
        : $"frame counter {record.FrameCounter} of session {record.Session ?? "(none)"} is not above the last accepted one, or the session was left";
}
