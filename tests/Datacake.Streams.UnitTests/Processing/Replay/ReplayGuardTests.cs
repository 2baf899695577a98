using CsCheck;
using System.Buffers;
using Datacake.Streams.Ids;
using Datacake.Streams.Processing.Replay;
using Datacake.Streams.Records;
using Microsoft.Extensions.Time.Testing;

namespace Datacake.Streams.UnitTests.Processing.Replay;

public sealed class ReplayGuardTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _time = new(Now);
    private readonly DeviceId _device = DeviceId.New();

    [Fact]
    public void Rising_counter_passes_and_a_counter_going_back_is_replayed()
    {
        var guard = new ReplayGuard(new ReplayGuardOptions(), _time);
        AcceptAll(guard, Uplink(10), Uplink(11));

        Assert.Equal(ReplayVerdict.Accepted, guard.Check(Uplink(12)));
        Assert.Equal(ReplayVerdict.Replayed, guard.Check(Uplink(5)));
        Assert.Equal(ReplayVerdict.Replayed, guard.Check(Uplink(10)));
        Assert.Equal(ReplayVerdict.DuplicateCounter, guard.Check(Uplink(11)));
        Assert.Equal("replayed", ReplayVerdict.Replayed.ReasonCode());
        Assert.Null(ReplayVerdict.DuplicateCounter.ReasonCode());
    }

    [Fact]
    public void Check_alone_remembers_nothing_so_a_failed_write_does_not_burn_the_counter()
    {
        var guard = new ReplayGuard(new ReplayGuardOptions(), _time);
        AcceptAll(guard, Uplink(10));

        Assert.Equal(ReplayVerdict.Accepted, guard.Check(Uplink(11)));
        Assert.Equal(ReplayVerdict.Accepted, guard.Check(Uplink(11)));
    }

    [Fact]
    [Trait("Reliability", "lorawan")]
    public void A_new_session_resets_the_counter_but_the_previous_session_cannot_come_back()
    {
        var guard = new ReplayGuard(new ReplayGuardOptions(), _time);
        AcceptAll(guard, Uplink(500, "session-a"));

        Assert.Equal(ReplayVerdict.Replayed, guard.Check(Uplink(1, "session-a")));
        Assert.Equal(ReplayVerdict.Accepted, guard.Check(Uplink(1, "session-b")));
        AcceptAll(guard, Uplink(1, "session-b"));

        Assert.Equal(ReplayVerdict.Replayed, guard.Check(Uplink(501, "session-a")));
        Assert.Equal(ReplayVerdict.Accepted, guard.Check(Uplink(2, "session-b")));
        Assert.Equal(ReplayVerdict.Accepted, guard.Check(Uplink(0, "session-c")));

        // No session information is the current session, not a join.
        Assert.Equal(ReplayVerdict.Replayed, guard.Check(Uplink(0, session: null)));
        AcceptAll(guard, Uplink(5, session: null));
        Assert.Equal(ReplayVerdict.Replayed, guard.Check(Uplink(4, "session-b")));
    }

    [Fact]
    public void Sixteen_bit_counters_roll_over_into_the_upper_half()
    {
        var guard = new ReplayGuard(new ReplayGuardOptions { SixteenBitCounterSources = new HashSet<SourceKind> { SourceKind.ChirpStack } }, _time);
        AcceptAll(guard, Uplink(65_530, source: SourceKind.ChirpStack));

        Assert.Equal(ReplayVerdict.Accepted, guard.Check(Uplink(3, source: SourceKind.ChirpStack)));
        AcceptAll(guard, Uplink(3, source: SourceKind.ChirpStack));

        // Now at 65,539 (0x1_0003): 65,530 again is a step back, not a second rollover.
        Assert.Equal(ReplayVerdict.Replayed, guard.Check(Uplink(65_530, source: SourceKind.ChirpStack)));
        Assert.Equal(ReplayVerdict.DuplicateCounter, guard.Check(Uplink(3, source: SourceKind.ChirpStack)));
        Assert.Equal(ReplayVerdict.Accepted, guard.Check(Uplink(4, source: SourceKind.ChirpStack)));
    }

    [Fact]
    [Trait("Reliability", "lorawan")]
    public void Sixteen_bit_step_back_beyond_the_gap_is_a_replay_not_a_rollover()
    {
        var guard = new ReplayGuard(new ReplayGuardOptions { SixteenBitCounterSources = new HashSet<SourceKind> { SourceKind.Helium } }, _time);
        AcceptAll(guard, Uplink(30_000, source: SourceKind.Helium));

        // 65,536 - 30,000 + 100 = 35,636 lost frames > 16,384.
        Assert.Equal(ReplayVerdict.Replayed, guard.Check(Uplink(100, source: SourceKind.Helium)));
        Assert.Equal(ReplayVerdict.Replayed, guard.Check(Uplink(29_999, source: SourceKind.Helium)));
        Assert.Equal(ReplayVerdict.Accepted, guard.Check(Uplink(46_384, source: SourceKind.Helium)));
        Assert.Equal(ReplayVerdict.Replayed, guard.Check(Uplink(46_385, source: SourceKind.Helium)));
    }

    [Fact]
    public void Thirty_two_bit_sources_compare_the_whole_counter()
    {
        var guard = new ReplayGuard(new ReplayGuardOptions(), _time);
        AcceptAll(guard, Uplink(70_000));

        Assert.Equal(ReplayVerdict.Replayed, guard.Check(Uplink(4_464)));
        Assert.Equal(ReplayVerdict.Accepted, guard.Check(Uplink(70_001)));
    }

    [Fact]
    public void Webhook_id_is_refused_within_the_window_and_forgotten_after_it()
    {
        var guard = new ReplayGuard(new ReplayGuardOptions(), _time);
        var first = Hooked("msg_1", Now);
        AcceptAll(guard, first);

        Assert.Equal(ReplayVerdict.Replayed, guard.Check(Hooked("msg_1", Now.AddMinutes(4))));
        Assert.Equal(ReplayVerdict.Accepted, guard.Check(Hooked("msg_2", Now.AddMinutes(4))));
        Assert.Equal(ReplayVerdict.Accepted, guard.Check(Hooked("msg_1", Now, route: "other-hook")));

        // Ten minutes on (two ±5 minute tolerances) it is still remembered, with other traffic in between.
        _time.Advance(TimeSpan.FromMinutes(10));
        AcceptAll(guard, Hooked("msg_4", Now.AddMinutes(10)));
        Assert.Equal(ReplayVerdict.Replayed, guard.Check(Hooked("msg_1", Now.AddMinutes(10))));

        // Another webhook accepted 12 minutes later (past the default 11-minute window) moves the horizon past msg_1.
        _time.Advance(TimeSpan.FromMinutes(2));
        AcceptAll(guard, Hooked("msg_3", Now.AddMinutes(12)));
        Assert.Equal(2, guard.WebhookIdCount);
        Assert.Equal(ReplayVerdict.Accepted, guard.Check(Hooked("msg_1", Now.AddMinutes(12))));
    }

    [Fact]
    public void Point_time_outside_retention_or_skew_is_refused()
    {
        var guard = new ReplayGuard(new ReplayGuardOptions(), _time);

        Assert.Equal(ReplayVerdict.TooOld, guard.Check(Uplink(1) with { DeviceTimeUnixNs = UnixNs(Now.AddDays(-30).AddSeconds(-1)) }));
        Assert.Equal(ReplayVerdict.Accepted, guard.Check(Uplink(1) with { DeviceTimeUnixNs = UnixNs(Now.AddDays(-29)) }));
        Assert.Equal(ReplayVerdict.TooFarInFuture, guard.Check(Uplink(1) with { DeviceTimeUnixNs = UnixNs(Now.AddMinutes(5).AddSeconds(1)) }));
        Assert.Equal(ReplayVerdict.Accepted, guard.Check(Uplink(1) with { DeviceTimeUnixNs = UnixNs(Now.AddMinutes(4)) }));

        // Without a device time the receive time decides; the clock moving on makes yesterday's record stale.
        var received = Uplink(1);
        _time.Advance(TimeSpan.FromDays(31));
        Assert.Equal(ReplayVerdict.TooOld, guard.Check(received));
        Assert.Equal("too_old", ReplayVerdict.TooOld.ReasonCode());
        Assert.Equal("too_far_in_future", ReplayVerdict.TooFarInFuture.ReasonCode());
    }

    [Fact]
    public void Device_cap_forgets_the_least_recently_used_device()
    {
        var guard = new ReplayGuard(new ReplayGuardOptions { MaxDevices = 2 }, _time);
        var a = DeviceId.New();
        var b = DeviceId.New();
        var c = DeviceId.New();
        AcceptAll(guard, Uplink(10) with { DeviceId = a }, Uplink(10) with { DeviceId = b }, Uplink(11) with { DeviceId = a }, Uplink(10) with { DeviceId = c });

        Assert.Equal(2, guard.DeviceCount);
        Assert.Equal(ReplayVerdict.Accepted, guard.Check(Uplink(1) with { DeviceId = b }));
        Assert.Equal(ReplayVerdict.Replayed, guard.Check(Uplink(1) with { DeviceId = a }));
    }

    [Fact]
    public void Snapshot_round_trips_counters_sessions_and_webhook_ids()
    {
        var guard = new ReplayGuard(new ReplayGuardOptions(), _time);
        AcceptAll(guard, Uplink(7, "s1"), Uplink(1, "s2"), Uplink(2, "s2"), Hooked("msg_9", Now));
        var buffer = new ArrayBufferWriter<byte>();
        guard.WriteSnapshot(buffer);

        Assert.True(ReplayGuard.TryLoad(buffer.WrittenSpan, new ReplayGuardOptions(), _time, out var loaded));
        Assert.Equal(ReplayVerdict.DuplicateCounter, loaded.Check(Uplink(2, "s2")));
        Assert.Equal(ReplayVerdict.Replayed, loaded.Check(Uplink(8, "s1")));
        Assert.Equal(ReplayVerdict.Replayed, loaded.Check(Hooked("msg_9", Now)));
        Assert.Equal(ReplayVerdict.Accepted, loaded.Check(Uplink(3, "s2")));

        var again = new ArrayBufferWriter<byte>();
        loaded.WriteSnapshot(again);
        Assert.Equal(buffer.WrittenSpan.ToArray(), again.WrittenSpan.ToArray());
    }

    [Fact]
    public void Garbage_snapshots_load_as_an_empty_guard_without_throwing()
    {
        var guard = new ReplayGuard(new ReplayGuardOptions(), _time);
        AcceptAll(guard, Uplink(7, "s1"), Hooked("msg_9", Now));
        var buffer = new ArrayBufferWriter<byte>();
        guard.WriteSnapshot(buffer);
        var good = buffer.WrittenSpan.ToArray();

        for (var cut = 0; cut < good.Length; cut++)
        {
            Assert.False(ReplayGuard.TryLoad(good.AsSpan(0, cut), new ReplayGuardOptions(), _time, out var empty));
            Assert.Equal(0, empty.DeviceCount);
        }

        for (var i = 0; i < good.Length; i++)
        {
            var flipped = (byte[])good.Clone();
            flipped[i] ^= 0x40;
            Assert.False(ReplayGuard.TryLoad(flipped, new ReplayGuardOptions(), _time, out _));
        }

        Gen.Byte.Array[0, 600].Sample(bytes =>
        {
            var ok = ReplayGuard.TryLoad(bytes, new ReplayGuardOptions(), _time, out var loaded);
            Assert.False(ok);
            Assert.Equal(0, loaded.DeviceCount);
        }, iter: 10_000);
    }

    private RawRecord Uplink(uint counter, string? session = "s", SourceKind source = SourceKind.Tts) => new()
    {
        DeviceId = _device,
        Source = source,
        ReceivedAtUnixNs = UnixNs(Now),
        FrameCounter = counter,
        Session = session,
        PayloadKind = PayloadKind.UplinkJson,
    };

    private RawRecord Hooked(string webhookId, DateTimeOffset receivedAt, string route = "hook-1") => new()
    {
        DeviceId = _device,
        Source = SourceKind.Tts,
        ReceivedAtUnixNs = UnixNs(receivedAt),
        WebhookMessageId = webhookId,
        RouteId = route,
        PayloadKind = PayloadKind.UplinkJson,
    };

    private static long UnixNs(DateTimeOffset at) => (at.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100;

    private static void AcceptAll(ReplayGuard guard, params RawRecord[] records)
    {
        foreach (var record in records)
        {
            guard.Accept(record);
        }
    }
}
