using CsCheck;
using Datacake.Streams.Ids;
using Datacake.Streams.Processing.Dedup;
using Datacake.Streams.Processing.Replay;
using Datacake.Streams.RecordLog;
using Datacake.Streams.Records;
using Microsoft.Extensions.Time.Testing;

namespace Datacake.Streams.UnitTests.Processing.Replay;

public sealed class PartitionStateStoreTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "dcs-state-" + Guid.NewGuid().ToString("N"));
    private readonly FakeTimeProvider _time = new(Now);
    private readonly DeviceId _device = DeviceId.New();

    [Fact]
    public void Saved_state_loads_with_its_offset_after_a_restart()
    {
        var store = new PartitionStateStore(_directory);
        var (guard, filter) = Fresh();
        Accept(guard, filter, Uplink(41, "dedup-41"));
        store.Save(new LogPosition(3, 1_234), guard, filter);

        var state = new PartitionStateStore(_directory).Load(3, new ReplayGuardOptions(), new DuplicateFilterOptions(), _time);

        Assert.False(state.Corrupt);
        Assert.Equal(1_234, state.CoveredOffset);
        Assert.True(state.Filter.IsDuplicate(Uplink(41, "dedup-41")));
        Assert.Equal(ReplayVerdict.Replayed, state.Guard.Check(Uplink(40, "other")));
    }

    [Fact]
    public void A_partition_without_a_file_starts_empty()
    {
        var state = new PartitionStateStore(_directory).Load(0, new ReplayGuardOptions(), new DuplicateFilterOptions(), _time);

        Assert.False(state.Corrupt);
        Assert.Null(state.CoveredOffset);
        Assert.Equal(0, state.Filter.EntryCount);
    }

    [Fact]
    public void A_save_replaces_the_previous_state_whole()
    {
        var store = new PartitionStateStore(_directory);
        var (guard, filter) = Fresh();
        Accept(guard, filter, Uplink(1, "k1"));
        store.Save(new LogPosition(0, 10), guard, filter);
        Accept(guard, filter, Uplink(2, "k2"));
        store.Save(new LogPosition(0, 20), guard, filter);

        var state = store.Load(0, new ReplayGuardOptions(), new DuplicateFilterOptions(), _time);

        Assert.Equal(20, state.CoveredOffset);
        Assert.True(state.Filter.IsDuplicate(Uplink(2, "k2")));
        Assert.Single(Directory.GetFiles(_directory));
    }

    [Fact]
    public void A_torn_temp_file_from_a_crash_is_ignored_and_the_last_whole_state_loads()
    {
        var store = new PartitionStateStore(_directory);
        var (guard, filter) = Fresh();
        Accept(guard, filter, Uplink(1, "k1"));
        store.Save(new LogPosition(5, 10), guard, filter);
        var whole = File.ReadAllBytes(store.PathOf(5));

        // A crash during the next save: half a file under the temp name.
        File.WriteAllBytes(store.PathOf(5) + ".tmp", whole.AsSpan(0, whole.Length / 2).ToArray());
        var state = store.Load(5, new ReplayGuardOptions(), new DuplicateFilterOptions(), _time);

        Assert.False(state.Corrupt);
        Assert.Equal(10, state.CoveredOffset);
        Assert.True(state.Filter.IsDuplicate(Uplink(1, "k1")));
        Assert.False(File.Exists(store.PathOf(5) + ".tmp"));
    }

    [Fact]
    public void A_damaged_or_foreign_state_file_loads_empty_and_says_so()
    {
        var store = new PartitionStateStore(_directory);
        var (guard, filter) = Fresh();
        Accept(guard, filter, Uplink(1, "k1"));
        store.Save(new LogPosition(1, 10), guard, filter);
        var whole = File.ReadAllBytes(store.PathOf(1));

        File.WriteAllBytes(store.PathOf(1), whole.AsSpan(0, whole.Length - 3).ToArray());
        var torn = store.Load(1, new ReplayGuardOptions(), new DuplicateFilterOptions(), _time);
        Assert.True(torn.Corrupt);
        Assert.Null(torn.CoveredOffset);
        Assert.Equal(0, torn.Filter.EntryCount);

        // Partition 1's file copied to partition 2's name is refused: it covers another partition's offsets.
        File.WriteAllBytes(store.PathOf(2), whole);
        Assert.True(store.Load(2, new ReplayGuardOptions(), new DuplicateFilterOptions(), _time).Corrupt);

        Gen.Byte.Array[0, 300].Sample(bytes =>
        {
            File.WriteAllBytes(store.PathOf(7), bytes);
            Assert.True(store.Load(7, new ReplayGuardOptions(), new DuplicateFilterOptions(), _time).Corrupt);
        }, iter: 300, threads: 1);
    }

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    private (ReplayGuard Guard, DuplicateFilter Filter) Fresh() =>
        (new ReplayGuard(new ReplayGuardOptions(), _time), new DuplicateFilter(new DuplicateFilterOptions()));

    private static void Accept(ReplayGuard guard, DuplicateFilter filter, RawRecord record)
    {
        guard.Accept(record);
        filter.Accept(record);
    }

    private RawRecord Uplink(uint counter, string key) => new()
    {
        DeviceId = _device,
        Source = SourceKind.Tts,
        ReceivedAtUnixNs = (Now.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100,
        FrameCounter = counter,
        Session = "s",
        MessageId = key,
    };
}
