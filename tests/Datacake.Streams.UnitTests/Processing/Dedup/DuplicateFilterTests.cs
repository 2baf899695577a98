using CsCheck;
using System.Buffers;
using Datacake.Streams.Ids;
using Datacake.Streams.Processing.Dedup;
using Datacake.Streams.Records;

namespace Datacake.Streams.UnitTests.Processing.Dedup;

public sealed class DuplicateFilterTests
{
    private const long Start = 1_764_000_000_000_000_000;
    private static readonly long Hour = TimeSpan.FromHours(1).Ticks * 100;
    private readonly DeviceId _device = DeviceId.New();

    [Fact]
    public void Second_copy_of_an_accepted_key_is_a_duplicate_of_that_device_only()
    {
        var filter = new DuplicateFilter(new DuplicateFilterOptions());
        Assert.False(filter.IsDuplicate(Message("dedup-1")));
        filter.Accept(Message("dedup-1"));

        Assert.True(filter.IsDuplicate(Message("dedup-1")));
        Assert.False(filter.IsDuplicate(Message("dedup-2")));
        Assert.False(filter.IsDuplicate(Message("dedup-1") with { DeviceId = DeviceId.New() }));
    }

    [Fact]
    public void Accepting_the_same_key_twice_keeps_one_entry()
    {
        var filter = new DuplicateFilter(new DuplicateFilterOptions());
        filter.Accept(Message("retry"));
        filter.Accept(Message("retry"));

        Assert.Equal(1, filter.EntryCount);
    }

    [Fact]
    public void Records_without_a_key_are_never_duplicates()
    {
        var filter = new DuplicateFilter(new DuplicateFilterOptions());
        filter.Accept(Message(null));
        filter.Accept(Message(null));

        Assert.False(filter.IsDuplicate(Message(null)));
        Assert.Equal(0, filter.EntryCount);
    }

    [Fact]
    public void Window_keeps_the_last_keys_up_to_its_size()
    {
        var filter = new DuplicateFilter(new DuplicateFilterOptions { WindowSize = 256 });
        for (var i = 0; i < 300; i++)
        {
            filter.Accept(Message($"k{i}"));
        }

        Assert.Equal(256, filter.EntryCount);
        Assert.False(filter.IsDuplicate(Message("k43")));
        Assert.True(filter.IsDuplicate(Message("k44")));
        Assert.True(filter.IsDuplicate(Message("k299")));
    }

    [Fact]
    public void Window_drops_keys_older_than_its_age()
    {
        var filter = new DuplicateFilter(new DuplicateFilterOptions { WindowAge = TimeSpan.FromHours(24) });
        filter.Accept(Message("old", Start));
        filter.Accept(Message("newer", Start + (2 * Hour)));

        Assert.True(filter.IsDuplicate(Message("old", Start + (23 * Hour))));
        Assert.False(filter.IsDuplicate(Message("old", Start + (25 * Hour))));

        filter.Accept(Message("latest", Start + (25 * Hour)));
        Assert.Equal(2, filter.EntryCount);
    }

    [Fact]
    public void Global_cap_evicts_the_least_recently_used_device()
    {
        var filter = new DuplicateFilter(new DuplicateFilterOptions { WindowSize = 4, MaxEntries = 8 });
        var a = DeviceId.New();
        var b = DeviceId.New();
        var c = DeviceId.New();
        for (var i = 0; i < 4; i++)
        {
            filter.Accept(Message($"a{i}") with { DeviceId = a });
            filter.Accept(Message($"b{i}") with { DeviceId = b });
        }

        filter.Accept(Message("a-touch") with { DeviceId = a });
        filter.Accept(Message("c0") with { DeviceId = c });

        Assert.Equal(2, filter.DeviceCount);
        Assert.True(filter.EntryCount <= 8);
        Assert.False(filter.IsDuplicate(Message("b3") with { DeviceId = b }));
        Assert.True(filter.IsDuplicate(Message("a-touch") with { DeviceId = a }));
        Assert.True(filter.IsDuplicate(Message("c0") with { DeviceId = c }));
    }

    [Fact]
    public void Snapshot_round_trips_and_garbage_loads_empty()
    {
        var filter = new DuplicateFilter(new DuplicateFilterOptions());
        for (var i = 0; i < 20; i++)
        {
            filter.Accept(Message($"k{i}") with { DeviceId = i % 2 == 0 ? _device : new DeviceId(1, (ulong)i) });
        }

        var buffer = new ArrayBufferWriter<byte>();
        filter.WriteSnapshot(buffer);
        Assert.True(DuplicateFilter.TryLoad(buffer.WrittenSpan, new DuplicateFilterOptions(), out var loaded));
        Assert.Equal(filter.EntryCount, loaded.EntryCount);
        Assert.True(loaded.IsDuplicate(Message("k4")));
        Assert.True(loaded.IsDuplicate(Message("k5") with { DeviceId = new DeviceId(1, 5) }));
        Assert.False(loaded.IsDuplicate(Message("k5")));

        var good = buffer.WrittenSpan.ToArray();
        for (var cut = 0; cut < good.Length; cut += 7)
        {
            Assert.False(DuplicateFilter.TryLoad(good.AsSpan(0, cut), new DuplicateFilterOptions(), out var empty));
            Assert.Equal(0, empty.EntryCount);
        }

        Gen.Byte.Array[0, 600].Sample(bytes =>
        {
            Assert.False(DuplicateFilter.TryLoad(bytes, new DuplicateFilterOptions(), out var empty));
            Assert.Equal(0, empty.DeviceCount);
        }, iter: 10_000);
    }

    private RawRecord Message(string? key, long receivedAt = Start) => new()
    {
        DeviceId = _device,
        Source = SourceKind.Http,
        ReceivedAtUnixNs = receivedAt,
        MessageId = key,
    };
}
