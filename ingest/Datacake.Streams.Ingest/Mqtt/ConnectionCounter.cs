namespace Datacake.Streams.Ingest.Mqtt;

/// <summary>
/// Open connections per key (a source address before CONNECT, a credential after), each key capped. Keys at zero are
/// forgotten, so its memory follows the connections that are open, not every address or token ever seen. Taken at
/// accept and at CONNECT only, never per message: a lock is cheap there.
/// </summary>
internal sealed class ConnectionCounter<TKey>(int limit)
    where TKey : notnull
{
    private readonly Dictionary<TKey, int> _open = [];

    /// <summary>Counts one more connection of <paramref name="key"/>; false (and nothing counted) when it already has the limit.</summary>
    public bool TryAdd(TKey key)
    {
        lock (_open)
        {
            _open.TryGetValue(key, out var count);
            if (count >= limit)
            {
                return false;
            }

            _open[key] = count + 1;
            return true;
        }
    }

    /// <summary>One connection of <paramref name="key"/> counted by <see cref="TryAdd"/> is gone.</summary>
    public void Release(TKey key)
    {
        lock (_open)
        {
            if (!_open.TryGetValue(key, out var count))
            {
                return;
            }

            if (count <= 1)
            {
                _open.Remove(key);
            }
            else
            {
                _open[key] = count - 1;
            }
        }
    }

    /// <summary>Keys with an open connection (for tests and diagnostics).</summary>
    public int Keys
    {
        get
        {
            lock (_open)
            {
                return _open.Count;
            }
        }
    }
}
