using Datacake.Streams.Ids;

namespace Datacake.Streams.Processing.Dedup;

/// <summary>
/// One device's most recent natural-key hashes, a ring buffer that grows by doubling from 4 up to the window size:
/// a device that sends rarely costs 64 bytes of keys, not 4 KiB.
/// </summary>
internal sealed class DeviceKeyWindow(DeviceId device) : LruNode
{
    private const int InitialCapacity = 4;

    private ulong[] _hashes = new ulong[InitialCapacity];
    private long[] _timesNs = new long[InitialCapacity];
    private int _start;

    public DeviceId Device { get; } = device;

    public int Count { get; private set; }

    public bool Contains(ulong hash, long notBeforeNs)
    {
        var hashes = _hashes.AsSpan();
        var offset = 0;
        while (offset < hashes.Length)
        {
            // Vectorised scan; slots outside the live ring keep stale hashes, so each hit is checked.
            var found = hashes[offset..].IndexOf(hash);
            if (found < 0)
            {
                return false;
            }

            var index = offset + found;
            if (IsLive(index) && _timesNs[index] >= notBeforeNs)
            {
                return true;
            }

            offset = index + 1;
        }

        return false;
    }

    /// <summary>Drops keys older than <paramref name="notBeforeNs"/>; returns how many.</summary>
    public int Expire(long notBeforeNs)
    {
        var dropped = 0;
        while (Count > 0 && _timesNs[_start] < notBeforeNs)
        {
            _start = (_start + 1) % _hashes.Length;
            Count--;
            dropped++;
        }

        return dropped;
    }

    /// <summary>Adds a key; returns +1 when the window grew, 0 when it replaced its oldest key.</summary>
    public int Add(ulong hash, long timeNs, int windowSize)
    {
        if (Count == _hashes.Length && _hashes.Length < windowSize)
        {
            Grow(Math.Min(_hashes.Length * 2, windowSize));
        }

        if (Count == _hashes.Length)
        {
            _hashes[_start] = hash;
            _timesNs[_start] = timeNs;
            _start = (_start + 1) % _hashes.Length;
            return 0;
        }

        var slot = (_start + Count) % _hashes.Length;
        _hashes[slot] = hash;
        _timesNs[slot] = timeNs;
        Count++;
        return 1;
    }

    /// <summary>Oldest first.</summary>
    public (ulong Hash, long TimeNs) At(int i)
    {
        var slot = (_start + i) % _hashes.Length;
        return (_hashes[slot], _timesNs[slot]);
    }

    private bool IsLive(int index) => ((index - _start + _hashes.Length) % _hashes.Length) < Count;

    private void Grow(int capacity)
    {
        var hashes = new ulong[capacity];
        var times = new long[capacity];
        for (var i = 0; i < Count; i++)
        {
            (hashes[i], times[i]) = At(i);
        }

        _hashes = hashes;
        _timesNs = times;
        _start = 0;
    }
}
