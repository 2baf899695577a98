using Datacake.Streams.Access;
using Datacake.Streams.Ids;
using Datacake.Streams.Processing.Decoding;
using Datacake.Streams.Processing.Dedup;
using Datacake.Streams.Processing.Pipeline;
using Datacake.Streams.Processing.Replay;
using Datacake.Streams.Processing.State;
using Datacake.Streams.RecordLog;
using Datacake.Streams.Records;
using Microsoft.Extensions.Time.Testing;
using Datacake.Streams.Payloads.DeadLetters;

namespace Datacake.Streams.UnitTests.Processing.State;

/// <summary>The per-partition verdicts on a state folder on disk: in-batch duplicates, what Written saves, the crash window.</summary>
public sealed class GuardedPartitionStateTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "dcs-guarded-" + Guid.NewGuid().ToString("N"));
    private readonly FakeTimeProvider _time = new(Now);
    private readonly RegistryView _registry = new();
    private readonly DeviceId _device = DeviceId.New();

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    [Fact]
    public void A_second_copy_in_the_same_batch_is_a_duplicate_before_anything_is_written()
    {
        using var state = Verdicts().Open(0);

        Assert.Equal(Verdict.Accept, state.Admit(Uplink(1, "m1"), new LogPosition(0, 0)));
        Assert.Equal(Verdict.Duplicate, state.Admit(Uplink(1, "m1"), new LogPosition(0, 1)));
        Assert.Equal(Verdict.Accept, state.Admit(Uplink(2, "m2"), new LogPosition(0, 2)));
    }

    [Fact]
    public void Written_saves_only_the_records_up_to_its_position()
    {
        var verdicts = Verdicts();
        using (var state = verdicts.Open(0))
        {
            state.Admit(Uplink(1, "m1"), new LogPosition(0, 0));
            state.Admit(Uplink(2, "m2"), new LogPosition(0, 1));
            state.Written(new LogPosition(0, 0));
        }

        // Reopened as after a restart from the commit at offset 0: m2 was never written, so it must pass.
        using var reopened = verdicts.Open(0);
        Assert.Equal(Verdict.Accept, reopened.Admit(Uplink(2, "m2"), new LogPosition(0, 1)));
        Assert.Equal(Verdict.Duplicate, reopened.Admit(Uplink(1, "m1"), new LogPosition(0, 5)));
    }

    [Fact]
    public void A_replay_refusal_at_an_offset_the_saved_state_covers_is_dropped_and_later_ones_are_dead_lettered()
    {
        var verdicts = Verdicts();
        using (var state = verdicts.Open(0))
        {
            state.Admit(Uplink(10, "m10"), new LogPosition(0, 3));
            state.Written(new LogPosition(0, 3));
        }

        using var reopened = verdicts.Open(0);

        // Saved but not committed (crash in between): offset 3 comes back, written already.
        Assert.Equal(Verdict.Duplicate, reopened.Admit(Uplink(9, "m9"), new LogPosition(0, 2)));
        var replay = reopened.Admit(Uplink(9, "m9"), new LogPosition(0, 4));
        Assert.Equal(RejectReason.Replayed, replay.Reason);
    }

    [Fact]
    [Trait("Reliability", "dedup-replay-properties")]
    public void A_written_message_that_comes_back_after_a_newer_one_is_a_duplicate_not_a_replay()
    {
        using var state = Verdicts().Open(0);
        state.Admit(Uplink(10, "m10"), new LogPosition(0, 0));
        state.Admit(Uplink(11, "m11"), new LogPosition(0, 1));
        state.Written(new LogPosition(0, 1));

        // A TTS uplink's late third gateway, a webhook retry: its counter is behind, but it is the written message.
        Assert.Equal(Verdict.Duplicate, state.Admit(Uplink(10, "m10"), new LogPosition(0, 2)));
        Assert.Equal(RejectReason.Replayed, state.Admit(Uplink(10, "m10-forged"), new LogPosition(0, 3)).Reason);
    }

    [Fact]
    public void A_frame_behind_one_admitted_but_not_yet_written_is_a_replay()
    {
        using var state = Verdicts().Open(0);
        Assert.Equal(Verdict.Accept, state.Admit(Uplink(11, "m11"), new LogPosition(0, 0)));

        var older = state.Admit(Uplink(10, "m10"), new LogPosition(0, 1));
        Assert.Equal(RejectReason.Replayed, older.Reason);
        Assert.Contains("frame counter 10", older.Detail, StringComparison.Ordinal);
        Assert.Equal(Verdict.Duplicate, state.Admit(Uplink(11, "m11-other-id"), new LogPosition(0, 2)));
        Assert.Equal(Verdict.Accept, state.Admit(Uplink(12, "m12"), new LogPosition(0, 3)));

        // Once written, the guard itself holds the counter; nothing pending is left to refuse a new session's frame 1.
        state.Written(new LogPosition(0, 3));
        Assert.Equal(Verdict.Accept, state.Admit(Uplink(1, "s2-m1") with { Session = "s2" }, new LogPosition(0, 4)));
    }

    [Fact]
    public void A_webhook_id_reused_while_its_first_message_is_not_yet_written_is_a_replay()
    {
        using var state = Verdicts().Open(0);
        Assert.Equal(Verdict.Accept, state.Admit(Uplink(1, "m1") with { WebhookMessageId = "msg_1" }, new LogPosition(0, 0)));
        Assert.Equal(Verdict.Duplicate, state.Admit(Uplink(1, "m1") with { WebhookMessageId = "msg_1" }, new LogPosition(0, 1)));

        var reused = state.Admit(Uplink(2, "m2") with { WebhookMessageId = "msg_1" }, new LogPosition(0, 2));
        Assert.Equal(RejectReason.Replayed, reused.Reason);
        Assert.Contains("webhook-id msg_1", reused.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Raw_bytes_decode_through_the_device_decoder_into_one_values_point()
    {
        _registry.Apply(new WorkspaceUpserted(new WorkspaceEntry("ws_1", null)));
        _registry.Apply(new DeviceUpserted(new DeviceEntry { Id = _device, WorkspaceId = "ws_1", DecoderId = CayenneLpp.DecoderId }));
        using var state = Verdicts().Open(0);
        var points = new RecordPoints();
        points.Reset(_device);
        var record = Uplink(1, "m1") with { PayloadKind = PayloadKind.RawBytes, Payload = new byte[] { 0x03, 0x67, 0x01, 0x10 } };

        Assert.Equal(Verdict.Accept, state.Decode(record, points));
        Assert.Equal(1, points.ValuesCount);
        Assert.Equal(0, points.MetaCount);
        var line = System.Text.Encoding.UTF8.GetString(points.Take().Values.Span);
        Assert.Contains("temperature_3=27.2", line, StringComparison.Ordinal);
    }

    [Fact]
    public void A_decoder_that_keeps_hitting_limits_is_dead_lettered_decoder_suspended_until_edited()
    {
        _registry.Apply(new WorkspaceUpserted(new WorkspaceEntry("ws_1", null)));
        _registry.Apply(new DecoderUpserted(new DecoderEntry("dec_loop", "ws_1", "function Decoder(b, p) { while (true) { } }")));
        _registry.Apply(new DeviceUpserted(new DeviceEntry { Id = _device, WorkspaceId = "ws_1", DecoderId = "dec_loop" }));
        using var state = Verdicts().Open(0);
        var record = Uplink(1, "m1") with { PayloadKind = PayloadKind.RawBytes, Payload = new byte[] { 0x01 } };
        var points = new RecordPoints();

        var reasons = new List<RejectReason>();
        for (var i = 0; i < 4; i++)
        {
            points.Reset(_device);
            reasons.Add(state.Decode(record, points).Reason);
        }

        _registry.Apply(new DecoderUpserted(new DecoderEntry("dec_loop", "ws_1", "function Decoder(b, p) { return { ok: 1 }; }")));
        points.Reset(_device);
        var edited = state.Decode(record, points);

        Assert.Equal([RejectReason.DecodeFailed, RejectReason.DecodeFailed, RejectReason.DecodeFailed, RejectReason.DecoderSuspended], reasons);
        Assert.Equal(Verdict.Accept, edited);
    }

    private GuardedVerdicts Verdicts() => new(
        new PartitionStateStore(_directory),
        new ReplayGuardOptions(),
        new DuplicateFilterOptions(),
        _time,
        _registry,
        new UplinkDecoder(new DevicePayloadDecoder(_registry, new JavaScriptDecoder(new JavaScriptDecoderOptions()))));

    private RawRecord Uplink(uint frameCounter, string messageId) => new()
    {
        Version = RawRecord.CurrentVersion,
        DeviceId = _device,
        Source = SourceKind.Tts,
        ReceivedAtUnixNs = (Now - DateTimeOffset.UnixEpoch).Ticks * 100,
        FrameCounter = frameCounter,
        Session = "s1",
        MessageId = messageId,
        PayloadKind = PayloadKind.UplinkJson,
        Payload = "{}"u8.ToArray(),
    };
}
