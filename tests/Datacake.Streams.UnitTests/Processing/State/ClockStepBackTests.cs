using Datacake.Streams.Access;
using Datacake.Streams.Ids;
using Datacake.Streams.Payloads.DeadLetters;
using Datacake.Streams.Processing.Decoding;
using Datacake.Streams.Processing.Dedup;
using Datacake.Streams.Processing.Pipeline;
using Datacake.Streams.Processing.Replay;
using Datacake.Streams.Processing.State;
using Datacake.Streams.RecordLog;
using Datacake.Streams.Records;
using Datacake.Streams.TestSupport;

namespace Datacake.Streams.UnitTests.Processing.State;

/// <summary>
/// The host's clock set back by an hour between records, on the partition state processing runs (replay guard,
/// duplicate filter, journal on disk): receive times are read from the clock as ingest reads them, so the records
/// after the step are dated before those already written. docs/PROCESSING.md "When the clock steps back".
/// </summary>
public sealed class ClockStepBackTests : IDisposable
{
    private static readonly DateTimeOffset _start = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "dcs-clockstep-" + Guid.NewGuid().ToString("N"));
    private readonly SteppedClock _clock = new(_start);
    private readonly DeviceId _device = DeviceId.New();
    private long _offset;

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    [Fact]
    [Trait("Reliability", "clock-jump-backwards")]
    public void After_a_step_back_fresh_records_are_stored_copies_stay_duplicates_and_webhook_ids_stay_remembered_also_after_a_restart()
    {
        var verdicts = Verdicts();
        var state = verdicts.Open(0);
        var first = Uplink(10, "m10", "msg_a");
        try
        {
            Assert.Equal(Verdict.Accept, AdmitAndWrite(state, first));

            // 15 minutes on, a record without a webhook-id: msg_a's window (11 min) has passed, its id is forgotten.
            _clock.Advance(TimeSpan.FromMinutes(15));
            var last = Uplink(11, "m11", null);
            Assert.Equal(Verdict.Accept, AdmitAndWrite(state, last));

            _clock.StepBack(TimeSpan.FromHours(1));

            // Counters do not read the clock; the dedup window is counted back from each record's own receive time,
            // so a key written "in the future" is still inside it.
            Assert.Equal(Verdict.Accept, AdmitAndWrite(state, Uplink(12, "m12", "msg_c")));
            Assert.Equal(Verdict.Duplicate, Admit(state, last with { ReceivedAtUnixNs = NowNs() }));
            Assert.Equal(Verdict.Duplicate, Admit(state, Uplink(12, "m12", "msg_c")));

            // A webhook-id first used after the step, reused within its window by another message: a replay. The
            // guard used to expire ids by the highest receive time seen, an hour ahead of msg_c, so it forgot msg_c
            // the moment it remembered it and this reuse was stored.
            _clock.Advance(TimeSpan.FromMinutes(1));
            Assert.Equal(RejectReason.Replayed, Admit(state, Uplink(13, "m13", "msg_c")).Reason);
            Assert.Equal(Verdict.Accept, AdmitAndWrite(state, Uplink(13, "m13", "msg_d")));
        }
        finally
        {
            state.Dispose();
        }

        // Killed and started again (snapshot + journal) while the clock is still behind: the same verdicts.
        using var reopened = verdicts.Open(0);
        Assert.Equal(RejectReason.Replayed, Admit(reopened, Uplink(14, "m14", "msg_c")).Reason);
        Assert.Equal(RejectReason.Replayed, Admit(reopened, Uplink(14, "m14", "msg_d")).Reason);
        Assert.Equal(Verdict.Duplicate, Admit(reopened, Uplink(11, "m11", null)));
        Assert.Equal(Verdict.Accept, AdmitAndWrite(reopened, Uplink(14, "m14", "msg_e")));

        // The clock comes back to the time msg_a was first received, so a capture of that delivery is fresh again for
        // ingest's signature check. Its id expired before the step, but a replay is the same signed body: the same
        // message id, still in the 24 h dedup window, and an old frame counter.
        _clock.Advance(TimeSpan.FromMinutes(44));
        Assert.True(_clock.GetUtcNow() >= _start);
        Assert.Equal(Verdict.Duplicate, Admit(reopened, first with { ReceivedAtUnixNs = NowNs() }));
        Assert.Equal(Verdict.Accept, AdmitAndWrite(reopened, Uplink(15, "m15", "msg_f")));
    }

    [Fact]
    [Trait("Reliability", "clock-jump-backwards")]
    public void After_a_step_back_point_times_are_judged_by_the_host_clock_within_its_skew()
    {
        using var state = Verdicts().Open(0);
        var correct = _clock.GetUtcNow();
        _clock.StepBack(TimeSpan.FromMinutes(3));

        // A network server's time 3 minutes ahead of the host's clock is inside MaxFutureSkew (5 min): stored.
        Assert.Equal(Verdict.Accept, AdmitAndWrite(state, Uplink(1, "m1", null) with { DeviceTimeUnixNs = UnixNs(correct) }));

        // Set back an hour, the host takes a correct time for a future one: dead-lettered with its reason, not
        // stored at a time the host cannot vouch for (the host's clock is the reference; keep it synchronised).
        _clock.StepBack(TimeSpan.FromMinutes(57));
        var ahead = Admit(state, Uplink(2, "m2", null) with { DeviceTimeUnixNs = UnixNs(correct.AddSeconds(1)) });
        Assert.Equal(RejectReason.TooFarInFuture, ahead.Reason);

        // Records timed by their receive time read the same clock: never ahead of it.
        Assert.Equal(Verdict.Accept, AdmitAndWrite(state, Uplink(3, "m3", null)));
    }

    private static long UnixNs(DateTimeOffset time) => (time - DateTimeOffset.UnixEpoch).Ticks * 100;

    private long NowNs() => UnixNs(_clock.GetUtcNow());

    private Verdict Admit(IPartitionState state, RawRecord record) => state.Admit(record, new LogPosition(0, _offset++));

    private Verdict AdmitAndWrite(IPartitionState state, RawRecord record)
    {
        var position = new LogPosition(0, _offset++);
        var verdict = state.Admit(record, position);
        state.Written(position);
        return verdict;
    }

    private GuardedVerdicts Verdicts()
    {
        var registry = new RegistryView();
        return new GuardedVerdicts(
            new PartitionStateStore(_directory),
            new ReplayGuardOptions(),
            new DuplicateFilterOptions(),
            _clock,
            registry,
            new UplinkDecoder(new DevicePayloadDecoder(registry, new JavaScriptDecoder(new JavaScriptDecoderOptions()))));
    }

    /// <summary>A TTS uplink as ingest would append it now: received at the clock's time.</summary>
    private RawRecord Uplink(uint frameCounter, string messageId, string? webhookId) => new()
    {
        Version = RawRecord.CurrentVersion,
        DeviceId = _device,
        Source = SourceKind.Tts,
        ReceivedAtUnixNs = NowNs(),
        FrameCounter = frameCounter,
        Session = "s1",
        MessageId = messageId,
        WebhookMessageId = webhookId,
        RouteId = webhookId is null ? null : "wh_1",
        PayloadKind = PayloadKind.UplinkJson,
        Payload = "{}"u8.ToArray(),
    };
}
