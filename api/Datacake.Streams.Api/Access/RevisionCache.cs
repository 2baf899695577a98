using System.Collections.Concurrent;
using Datacake.Streams.Api.Metadata;

namespace Datacake.Streams.Api.Access;

/// <summary>
/// Answers of the metadata store kept in memory while <see cref="IMetadataStore.Revision"/> stays where it was when
/// they were read: an entry is a hit only when its revision equals the current one and it is younger than the
/// lifetime. Any write to the store (token disabled, rotated or revoked, member removed, device deleted or renamed)
/// turns every entry into a miss before the write's API call returns, so caching changes no answer on this node.
/// </summary>
/// <remarks>
/// The lifetime bounds how long a write that did not go through this process (another process on the same file, a
/// hand edit) can stay unseen. Past <c>capacity</c> entries the cache starts over: a flood of distinct keys costs
/// lookups, never memory.
/// </remarks>
public sealed class RevisionCache<TKey, TValue>
    where TKey : notnull
{
    private readonly ConcurrentDictionary<TKey, Entry> _entries = new();
    private readonly TimeProvider _time;
    private readonly TimeSpan _lifetime;
    private readonly int _capacity;
    private long _newestRevision;

    public RevisionCache(TimeProvider time, TimeSpan lifetime, int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(lifetime, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _time = time;
        _lifetime = lifetime;
        _capacity = capacity;
    }

    /// <summary>False when a zero lifetime turned caching off.</summary>
    public bool Enabled => _lifetime > TimeSpan.Zero;

    public int Count => _entries.Count;

    /// <summary>The value stored under <paramref name="key"/> at <paramref name="revision"/>, if still fresh.</summary>
    public bool TryGet(TKey key, long revision, out TValue value)
    {
        if (_entries.TryGetValue(key, out Entry? entry) && entry.Revision == revision && _time.GetElapsedTime(entry.Stamp) < _lifetime)
        {
            value = entry.Value;
            return true;
        }

        value = default!;
        return false;
    }

    /// <summary>
    /// Keeps <paramref name="value"/>, read from the store after <paramref name="revision"/> was taken. A value read
    /// at an older revision than one already seen is not kept: it may predate a write.
    /// </summary>
    public void Set(TKey key, long revision, TValue value)
    {
        if (!Enabled)
        {
            return;
        }

        long newest = Interlocked.Read(ref _newestRevision);
        if (revision < newest)
        {
            return;
        }

        // The first value of a new revision drops the old ones, which can never hit again.
        if ((revision > newest && Interlocked.CompareExchange(ref _newestRevision, revision, newest) == newest) || _entries.Count >= _capacity)
        {
            _entries.Clear();
        }

        _entries[key] = new Entry(revision, _time.GetTimestamp(), value);
    }

    private sealed record Entry(long Revision, long Stamp, TValue Value);
}
