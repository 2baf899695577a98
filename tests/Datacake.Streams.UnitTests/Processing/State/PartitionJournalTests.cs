using CsCheck;
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

/// <summary>
/// The partition journal on disk: saves append the records written since the last one, a restart replays them after
/// the snapshot, a torn tail is cut, a journal from before the last snapshot is not read, and it is folded into a new
/// snapshot once it outgrows the old one.
/// </summary>
public sealed class PartitionJournalTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "dcs-journal-" + Guid.NewGuid().ToString("N"));
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
    public void An_accepted_record_reads_back_as_it_was_written()
    {
        var records = Gen.Select(Gen.ULong, Gen.ULong, Gen.Long, Gen.Int[0, 7], Gen.UInt.Select(Gen.Bool, (value, present) => present ? value : (uint?)null), Gen.ULong[0, 3], Gen.ULong[0, 3], Gen.ULong)
            .Select((high, low, time, source, counter, session, webhook, key) =>
                new AcceptedRecord(new DeviceId(high, low), time, (SourceKind)source, counter, session * 0x9E3779B97F4A7C15, webhook * 0x9E3779B97F4A7C15, key));
        records.Sample(record =>
        {
            var bytes = new byte[AcceptedRecord.MaxEncodedLength];
            var length = record.Encode(bytes);
            Assert.True(AcceptedRecord.TryDecode(bytes.AsSpan(0, length), out var decoded, out var read));
            Assert.Equal(length, read);
            Assert.Equal(record, decoded);
            Assert.False(AcceptedRecord.TryDecode(bytes.AsSpan(0, length - 1), out _, out _));
        }, iter: 1_000);
    }

    [Fact]
    public void Saves_append_to_the_journal_and_a_restart_replays_it_without_a_snapshot()
    {
        var verdicts = Verdicts();
        using (var state = verdicts.Open(0))
        {
            state.Admit(Uplink(1, "m1"), new LogPosition(0, 0));
            state.Written(new LogPosition(0, 0));
            state.Admit(Uplink(2, "m2") with { WebhookMessageId = "msg_2" }, new LogPosition(0, 1));
            state.Written(new LogPosition(0, 1));
        }

        Assert.False(File.Exists(Store().PathOf(0)));
        Assert.True(new FileInfo(Store().JournalPathOf(0)).Length > 17);

        using var reopened = verdicts.Open(0);
        Assert.Equal(Verdict.Duplicate, reopened.Admit(Uplink(1, "m1"), new LogPosition(0, 5)));
        Assert.Equal(RejectReason.Replayed, reopened.Admit(Uplink(1, "m1-forged"), new LogPosition(0, 6)).Reason);
        Assert.Equal(RejectReason.Replayed, reopened.Admit(Uplink(3, "m3") with { WebhookMessageId = "msg_2" }, new LogPosition(0, 7)).Reason);

        // Offset 1 is covered by the journal's last entry: a refusal there was written before the crash, not a replay.
        Assert.Equal(Verdict.Duplicate, reopened.Admit(Uplink(1, "m1-again"), new LogPosition(0, 1)));
    }

    [Fact]
    public void A_batch_without_accepted_records_still_moves_the_covered_offset()
    {
        var verdicts = Verdicts();
        using (var state = verdicts.Open(0))
        {
            state.Admit(Uplink(5, "m5"), new LogPosition(0, 0));
            state.Written(new LogPosition(0, 0));
            Assert.Equal(Verdict.Duplicate, state.Admit(Uplink(5, "m5"), new LogPosition(0, 1)));
            state.Written(new LogPosition(0, 1));
        }

        Assert.Equal(1, Store().Load(0, new ReplayGuardOptions(), new DuplicateFilterOptions(), _time).CoveredOffset);
    }

    [Fact]
    public void A_torn_last_entry_is_cut_and_the_next_save_follows_the_last_whole_one()
    {
        var verdicts = Verdicts();
        using (var state = verdicts.Open(0))
        {
            state.Admit(Uplink(1, "m1"), new LogPosition(0, 0));
            state.Written(new LogPosition(0, 0));
            state.Admit(Uplink(2, "m2"), new LogPosition(0, 1));
            state.Written(new LogPosition(0, 1));
        }

        // A crash during the second append: its last bytes never reached the disk, so its offset was never committed.
        var path = Store().JournalPathOf(0);
        var whole = File.ReadAllBytes(path);
        File.WriteAllBytes(path, whole[..^5]);

        using (var reopened = verdicts.Open(0))
        {
            Assert.Equal(Verdict.Accept, reopened.Admit(Uplink(2, "m2"), new LogPosition(0, 1)));
            reopened.Written(new LogPosition(0, 1));
            reopened.Admit(Uplink(3, "m3"), new LogPosition(0, 2));
            reopened.Written(new LogPosition(0, 2));
        }

        var loaded = Store().Load(0, new ReplayGuardOptions(), new DuplicateFilterOptions(), _time);
        Assert.Equal(2, loaded.CoveredOffset);
        foreach (var id in new[] { "m1", "m2", "m3" })
        {
            Assert.True(loaded.Filter.IsDuplicate(Uplink(9, id)), id);
        }
    }

    [Fact]
    public void A_journal_from_before_the_last_snapshot_is_not_read_and_starts_over()
    {
        var verdicts = Verdicts();
        using (var state = verdicts.Open(0))
        {
            state.Admit(Uplink(1, "m1"), new LogPosition(0, 0));
            state.Written(new LogPosition(0, 0));
        }

        // A crash after a compaction's snapshot (here: one covering offset 7 that knows only m7) and before its new
        // journal: the old journal's base (-1) is not the snapshot's offset, and all it held is in the snapshot.
        var (guard, filter) = (new ReplayGuard(new ReplayGuardOptions(), _time), new DuplicateFilter(new DuplicateFilterOptions()));
        filter.Accept(Uplink(7, "m7"));
        Store().Save(new LogPosition(0, 7), guard, filter);

        using (var reopened = verdicts.Open(0))
        {
            Assert.Equal(Verdict.Duplicate, reopened.Admit(Uplink(7, "m7"), new LogPosition(0, 8)));
            Assert.Equal(Verdict.Accept, reopened.Admit(Uplink(1, "m1"), new LogPosition(0, 9)));
            reopened.Written(new LogPosition(0, 9));
        }

        var loaded = Store().Load(0, new ReplayGuardOptions(), new DuplicateFilterOptions(), _time);
        Assert.Equal(9, loaded.CoveredOffset);
        Assert.True(loaded.Filter.IsDuplicate(Uplink(1, "m1")));
    }

    [Fact]
    public void A_journal_grown_past_the_snapshot_is_folded_into_a_new_one_and_the_state_is_the_same()
    {
        var store = Store(minJournalBytes: 2_000);
        var verdicts = Verdicts(store);
        var offset = 0L;
        using (var state = verdicts.Open(0))
        {
            for (var batch = 0; batch < 20; batch++)
            {
                for (var i = 0; i < 10; i++, offset++)
                {
                    Assert.Equal(Verdict.Accept, state.Admit(Uplink((uint)offset + 1, $"m{offset}"), new LogPosition(0, offset)));
                }

                state.Written(new LogPosition(0, offset - 1));
            }
        }

        Assert.True(File.Exists(store.PathOf(0)), "no snapshot was written");
        Assert.True(new FileInfo(store.JournalPathOf(0)).Length < 2_000 + 1_000, "the journal was not started over");
        var loaded = store.Load(0, new ReplayGuardOptions(), new DuplicateFilterOptions(), _time);
        Assert.Equal(offset - 1, loaded.CoveredOffset);
        for (var i = 0; i < offset; i++)
        {
            Assert.True(loaded.Filter.IsDuplicate(Uplink(1, $"m{i}")), $"m{i}");
        }

        Assert.Equal(ReplayVerdict.Replayed, loaded.Guard.Check(Uplink((uint)offset - 1, "older")));
        Assert.Equal(ReplayVerdict.Accepted, loaded.Guard.Check(Uplink((uint)offset + 1, "newer")));
    }

    [Fact]
    [Trait("Reliability", "dedup-replay-properties")]
    public void Snapshot_and_journal_replay_give_the_verdicts_the_state_in_memory_gives()
    {
        // Records of a few devices with counters, sessions, webhook-ids and message ids, saved at random points with
        // compactions in between. The reloaded state must answer every probe as a guard and filter that accepted the
        // same records in memory (as Written does) answer it.
        var record = Gen.Select(Gen.Int[0, 3], Gen.UInt[1, 40], Gen.Int[0, 2], Gen.Int[0, 30], Gen.Bool);
        Gen.Select(record.Array[1, 60], Gen.Int[1, 8]).Sample((records, saveEvery) =>
        {
            var store = new PartitionStateStore(Path.Combine(_directory, Guid.NewGuid().ToString("N"))) { MinJournalBytes = 300 };
            var devices = Enumerable.Range(0, 4).Select(_ => DeviceId.New()).ToArray();
            RawRecord Raw((int Device, uint Counter, int Session, int Id, bool Webhook) r, int order) => Uplink(r.Counter, $"m{r.Id}", devices[r.Device]) with
            {
                ReceivedAtUnixNs = Ns(Now) + order,
                Session = $"s{r.Session}",
                WebhookMessageId = r.Webhook ? $"w{r.Id}" : null,
                RouteId = r.Webhook ? "hook" : null,
            };

            var memory = (Guard: new ReplayGuard(new ReplayGuardOptions(), _time), Filter: new DuplicateFilter(new DuplicateFilterOptions()));
            var admitted = new List<RawRecord>();
            using (var live = Verdicts(store).Open(0))
            {
                for (var i = 0; i < records.Length; i++)
                {
                    var raw = Raw(records[i], i);
                    if (live.Admit(raw, new LogPosition(0, i)).IsAccepted)
                    {
                        admitted.Add(raw);
                    }

                    if (i % saveEvery == saveEvery - 1 || i == records.Length - 1)
                    {
                        live.Written(new LogPosition(0, i));
                        admitted.ForEach(a =>
                        {
                            memory.Guard.Accept(a);
                            memory.Filter.Accept(a);
                        });
                        admitted.Clear();
                    }
                }
            }

            var loaded = store.Load(0, new ReplayGuardOptions(), new DuplicateFilterOptions(), _time);
            Assert.Equal(records.Length - 1, loaded.CoveredOffset);
            for (var i = 0; i < records.Length; i++)
            {
                foreach (var probe in new[] { Raw(records[i], records.Length), Raw(records[i] with { Item2 = records[i].Item2 + 1 }, records.Length) })
                {
                    Assert.Equal(memory.Guard.Check(probe), loaded.Guard.Check(probe));
                    Assert.Equal(memory.Guard.HasSeenWebhookId(probe), loaded.Guard.HasSeenWebhookId(probe));
                    Assert.Equal(memory.Filter.IsDuplicate(probe), loaded.Filter.IsDuplicate(probe));
                }
            }
        }, iter: 100);
    }

    private static long Ns(DateTimeOffset time) => (time - DateTimeOffset.UnixEpoch).Ticks * 100;

    private PartitionStateStore Store(long minJournalBytes = 4 * 1024 * 1024) => new(_directory) { MinJournalBytes = minJournalBytes };

    private GuardedVerdicts Verdicts(PartitionStateStore? store = null) => new(
        store ?? Store(),
        new ReplayGuardOptions(),
        new DuplicateFilterOptions(),
        _time,
        _registry,
        new UplinkDecoder(new DevicePayloadDecoder(_registry, new JavaScriptDecoder(new JavaScriptDecoderOptions()))));

    private RawRecord Uplink(uint counter, string messageId, DeviceId? device = null) => new()
    {
        Version = RawRecord.CurrentVersion,
        DeviceId = device ?? _device,
        Source = SourceKind.Tts,
        ReceivedAtUnixNs = Ns(Now),
        MessageId = messageId,
        FrameCounter = counter,
        Session = "s1",
        PayloadKind = PayloadKind.UplinkJson,
        Payload = "{}"u8.ToArray(),
        CredentialKind = CredentialKind.Webhook,
    };
}
