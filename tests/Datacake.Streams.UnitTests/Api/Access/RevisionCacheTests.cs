using Datacake.Streams.Api.Access;
using Microsoft.Extensions.Time.Testing;

namespace Datacake.Streams.UnitTests.Api.Access;

public sealed class RevisionCacheTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 29, 12, 0, 0, TimeSpan.Zero));

    [Fact]
    public void An_entry_hits_only_at_the_revision_it_was_read_at()
    {
        var cache = new RevisionCache<string, string>(_time, TimeSpan.FromSeconds(30), 100);
        cache.Set("a", 7, "seven");

        Assert.True(cache.TryGet("a", 7, out string value));
        Assert.Equal("seven", value);
        Assert.False(cache.TryGet("a", 8, out _));
        Assert.False(cache.TryGet("b", 7, out _));
    }

    [Fact]
    public void An_entry_expires_after_its_lifetime_even_without_a_write()
    {
        var cache = new RevisionCache<string, string>(_time, TimeSpan.FromSeconds(30), 100);
        cache.Set("a", 1, "one");

        _time.Advance(TimeSpan.FromSeconds(29));
        Assert.True(cache.TryGet("a", 1, out _));
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.False(cache.TryGet("a", 1, out _));
    }

    [Fact]
    public void A_value_read_at_an_older_revision_than_one_seen_is_not_kept()
    {
        var cache = new RevisionCache<string, string>(_time, TimeSpan.FromSeconds(30), 100);
        cache.Set("a", 5, "new");

        // A lookup that started before a write and finished after a newer one was cached: its answer may predate the write.
        cache.Set("b", 4, "old");

        Assert.False(cache.TryGet("b", 4, out _));
        Assert.True(cache.TryGet("a", 5, out _));
    }

    [Fact]
    public void A_new_revision_drops_the_old_entries_and_a_full_cache_starts_over()
    {
        var cache = new RevisionCache<int, int>(_time, TimeSpan.FromSeconds(30), 3);
        cache.Set(1, 1, 1);
        cache.Set(2, 1, 2);
        cache.Set(3, 2, 3);
        Assert.Equal(1, cache.Count);

        cache.Set(4, 2, 4);
        cache.Set(5, 2, 5);
        cache.Set(6, 2, 6);
        Assert.Equal(1, cache.Count);
        Assert.True(cache.TryGet(6, 2, out int six));
        Assert.Equal(6, six);
    }

    [Fact]
    public void A_zero_lifetime_keeps_nothing()
    {
        var cache = new RevisionCache<string, string>(_time, TimeSpan.Zero, 100);
        cache.Set("a", 1, "one");

        Assert.False(cache.Enabled);
        Assert.Equal(0, cache.Count);
        Assert.False(cache.TryGet("a", 1, out _));
    }
}
