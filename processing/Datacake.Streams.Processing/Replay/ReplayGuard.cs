using Datacake.Streams.Ids;
using Datacake.Streams.Processing.Dedup;
using Datacake.Streams.Records;

namespace Datacake.Streams.Processing.Replay;

/// <summary>
/// Refuses replayed records of one log partition: LoRaWAN frame counters per device and session, Standard
/// Webhooks ids within their tolerance window, and point times outside [now - raw retention, now + skew].
/// </summary>
/// <remarks>
/// <para>Two steps: <see cref="Check"/> is pure; <see cref="Accept"/> remembers a record and is called once its
/// points are written, so a record whose write failed is not remembered and passes when it is read again. Within
/// one batch a record is checked against what earlier batches accepted; a pipeline that wants in-batch protection
/// may call <see cref="Accept"/> right after a passing <see cref="Check"/>, provided that after a failed write it
/// reloads the state from <see cref="PartitionStateStore"/> before it reads the log again.</para>
/// <para>Frame counters: a new <see cref="RawRecord.Session"/> (TTS session key id, a join) resets the counter; a
/// return to the session the device just left is a replay. A record without a session is read as the device's
/// current session (it never resets). Without sessions at all the counter still has to rise, so
/// adapters should give a session that changes on join (TTS session_key_id; DevAddr for others). 16-bit counters
/// (sources in <see cref="ReplayGuardOptions.SixteenBitCounterSources"/>) are extended to 32 bits as the nearest
/// step forward (a value below the last one's low 16 bits is a rollover); a step of more than
/// <see cref="ReplayGuardOptions.MaxFrameCounterGap"/> frames is a replay. An equal counter answers <see cref="ReplayVerdict.DuplicateCounter"/>.</para>
/// <para>Webhook ids expire by receive time (the latest accepted record's), not by the processor's clock, so a
/// processor that lags behind the log by more than the window still recognises a replay that arrived within it. The
/// latest and not the highest, so that a step back of the host's clock does not expire the ids received after it at
/// once (docs/PROCESSING.md "When the clock steps back").</para>
/// <para>Not thread-safe: one instance per partition, called from one thread at a time.</para>
/// </remarks>
public sealed partial class ReplayGuard
{
    private const long NanosPerTick = 100;

    private readonly ReplayGuardOptions _options;
    private readonly TimeProvider _time;
    private readonly Dictionary<DeviceId, DeviceCounter> _devices = [];
    private readonly LruChain<DeviceCounter> _lru = new();
    private readonly Dictionary<ulong, long> _webhookIds = [];
    private readonly Queue<(ulong Hash, long ReceivedAtNs)> _webhookOrder = new();
    private readonly bool[] _sixteenBit = new bool[16];
    private long _watermarkNs = long.MinValue;

    public ReplayGuard(ReplayGuardOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        _options = options;
        _time = time;
        foreach (var source in options.SixteenBitCounterSources)
        {
            if ((uint)source < (uint)_sixteenBit.Length)
            {
                _sixteenBit[(int)source] = true;
            }
        }
    }

    public int DeviceCount => _devices.Count;

    public int WebhookIdCount => _webhookIds.Count;

    public ReplayVerdict Check(in RawRecord record)
    {
        var timeVerdict = CheckTime(record.DeviceTimeUnixNs ?? record.ReceivedAtUnixNs);
        if (timeVerdict != ReplayVerdict.Accepted)
        {
            return timeVerdict;
        }

        if (HasSeenWebhookId(record))
        {
            return ReplayVerdict.Replayed;
        }

        if (record.FrameCounter is not { } counter)
        {
            return ReplayVerdict.Accepted;
        }

        _devices.TryGetValue(record.DeviceId, out var state);
        return EvaluateCounter(state, counter, KeyHash.Of(record.Session), _sixteenBit[(int)record.Source & 15], out _);
    }

    /// <summary>True when <paramref name="record"/>'s webhook-id was accepted within the window: which check a <see cref="ReplayVerdict.Replayed"/> came from.</summary>
    public bool HasSeenWebhookId(in RawRecord record) => record.WebhookMessageId is not null && _webhookIds.ContainsKey(WebhookKey(record));

    /// <summary>
    /// Checks a point time alone (Unix ns): for the entries of a JSON array that carry their own <c>time</c>,
    /// which the record-level <see cref="Check"/> cannot see.
    /// </summary>
    public ReplayVerdict CheckTime(long timeUnixNs)
    {
        var nowNs = (_time.GetUtcNow().UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * NanosPerTick;
        if (timeUnixNs < nowNs - (_options.RawRetention.Ticks * NanosPerTick))
        {
            return ReplayVerdict.TooOld;
        }

        return timeUnixNs > nowNs + (_options.MaxFutureSkew.Ticks * NanosPerTick) ? ReplayVerdict.TooFarInFuture : ReplayVerdict.Accepted;
    }

    /// <summary>Remembers a record whose points were written (or that the pipeline decided to keep).</summary>
    public void Accept(in RawRecord record) => Accept(AcceptedRecord.Of(record, KeyHash.OfMessageId(record)));

    /// <summary>
    /// <see cref="Accept(in RawRecord)"/> from what the guard keeps of a record (hashes instead of strings): what the
    /// partition state journals, and replays on load.
    /// </summary>
    internal void Accept(in AcceptedRecord record)
    {
        // The latest accepted receive time, not the highest: after the host's clock stepped back, ids received since
        // must live their window in the clock's new time, while those from before the step (dated ahead of it) wait in
        // front of them in the queue until the clock passes them again, when a replay of them could be fresh again.
        _watermarkNs = record.ReceivedAtUnixNs;

        if (record.WebhookKey != 0)
        {
            _webhookIds[record.WebhookKey] = record.ReceivedAtUnixNs;
            _webhookOrder.Enqueue((record.WebhookKey, record.ReceivedAtUnixNs));
        }

        ExpireWebhookIds();
        if (record.FrameCounter is not { } counter)
        {
            return;
        }

        var session = record.SessionKey;
        if (!_devices.TryGetValue(record.DeviceId, out var state))
        {
            state = new DeviceCounter(record.DeviceId);
            _devices.Add(record.DeviceId, state);
            _lru.AddNewest(state);
            EvictDevices();
        }
        else
        {
            _lru.Touch(state);
        }

        var verdict = EvaluateCounter(state, counter, session, _sixteenBit[(int)record.Source & 15], out var extended);
        if (verdict != ReplayVerdict.Accepted)
        {
            // Accepting a record the counter check refused (the pipeline overrode it) must not move the counter back.
            return;
        }

        if (session != 0 && state.HasCounter && state.Session != session)
        {
            state.PreviousSession = state.Session;
        }

        if (session != 0 || !state.HasCounter)
        {
            state.Session = session;
        }

        state.Counter = extended;
        state.HasCounter = true;
    }

    private ReplayVerdict EvaluateCounter(DeviceCounter? state, uint counter, ulong session, bool sixteenBit, out uint extended)
    {
        extended = sixteenBit ? counter & 0xFFFF : counter;
        if (state is null || !state.HasCounter)
        {
            return ReplayVerdict.Accepted;
        }

        // A record without a session (hash 0) is read as the current session: missing information must not reset.
        if (session != 0 && session != state.Session)
        {
            return session == state.PreviousSession ? ReplayVerdict.Replayed : ReplayVerdict.Accepted;
        }

        var last = state.Counter;
        if (sixteenBit)
        {
            // On air the counter is 16 bits, so any value is ambiguous: read it as the nearest step forward
            // (a rollover when below the last low half) and, as LoRaWAN 1.0's MAX_FCNT_GAP, refuse a step of more
            // than MaxFrameCounterGap frames: that is a replay of an older frame, not frames lost.
            var low = last & 0xFFFF;
            if (extended == low)
            {
                return ReplayVerdict.DuplicateCounter;
            }

            var candidate = (ulong)(last & 0xFFFF0000) | extended;
            if (extended < low)
            {
                candidate += 0x10000;
            }

            if (candidate - last > _options.MaxFrameCounterGap || candidate > uint.MaxValue)
            {
                return ReplayVerdict.Replayed;
            }

            extended = (uint)candidate;
        }

        if (extended > last)
        {
            return ReplayVerdict.Accepted;
        }

        return extended == last ? ReplayVerdict.DuplicateCounter : ReplayVerdict.Replayed;
    }

    internal static ulong WebhookKey(in RawRecord record) =>
        KeyHash.Of(record.WebhookMessageId, (long)KeyHash.Of(record.RouteId));

    private void ExpireWebhookIds()
    {
        var horizon = _watermarkNs - (_options.WebhookIdWindow.Ticks * NanosPerTick);
        while (_webhookOrder.TryPeek(out var oldest)
            && (oldest.ReceivedAtNs < horizon || _webhookOrder.Count > _options.MaxWebhookIds))
        {
            _webhookOrder.Dequeue();

            // The id may have been accepted again later (the pipeline overrode a refusal); keep the newer entry.
            if (_webhookIds.TryGetValue(oldest.Hash, out var at) && at == oldest.ReceivedAtNs)
            {
                _webhookIds.Remove(oldest.Hash);
            }
        }
    }

    private void EvictDevices()
    {
        while (_devices.Count > _options.MaxDevices && _lru.Oldest is { } oldest)
        {
            _lru.Remove(oldest);
            _devices.Remove(oldest.Device);
        }
    }
}
