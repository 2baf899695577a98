namespace Datacake.Streams.Ingest.Mqtt;

/// <summary>
/// The sessions the broker remembers, by credential-scoped session id (<see cref="ClientIdScope"/>): which connection
/// holds each, and until when a session without a connection lives on. The broker routes nothing, so a session holds
/// no messages; what it carries is the answer to "session present" in CONNACK, which tells a client whether to resend
/// the QoS 1 messages it has not seen acknowledged (an MQTT 5 client told "no session" discards them, MQTT-3.2.2-5).
/// </summary>
internal sealed class MqttSessions(TimeProvider timeProvider)
{
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>
    /// Gives the session to <paramref name="connection"/>; with clean start a kept session is discarded first. Returns
    /// whether a session was present, and the connection that held it until now (to be closed: a takeover).
    /// </summary>
    public bool Open(MqttDeviceConnection connection, bool cleanStart, out MqttDeviceConnection? previous)
    {
        var now = timeProvider.GetUtcNow();
        lock (_lock)
        {
            previous = null;
            var present = false;
            if (_entries.TryGetValue(connection.SessionId, out var entry))
            {
                previous = entry.Holder;
                present = !cleanStart && (entry.Holder is not null || entry.ExpiresAt > now);
            }

            _entries[connection.SessionId] = new Entry(connection, DateTimeOffset.MaxValue);
            return present;
        }
    }

    /// <summary>The connection ended: its session lives on for its expiry interval, or ends now (0).</summary>
    public void Release(MqttDeviceConnection connection, uint expirySeconds)
    {
        var now = timeProvider.GetUtcNow();
        lock (_lock)
        {
            if (!_entries.TryGetValue(connection.SessionId, out var entry) || !ReferenceEquals(entry.Holder, connection))
            {
                // Taken over: the session belongs to the newer connection now.
                return;
            }

            if (expirySeconds == 0)
            {
                _entries.Remove(connection.SessionId);
            }
            else
            {
                var expires = expirySeconds == uint.MaxValue ? DateTimeOffset.MaxValue : now.AddSeconds(expirySeconds);
                _entries[connection.SessionId] = new Entry(null, expires);
            }
        }
    }

    /// <summary>Forgets sessions past their expiry; the broker's sweep calls it.</summary>
    public void RemoveExpired()
    {
        var now = timeProvider.GetUtcNow();
        lock (_lock)
        {
            foreach (var (id, entry) in _entries)
            {
                if (entry.Holder is null && entry.ExpiresAt <= now)
                {
                    _entries.Remove(id);
                }
            }
        }
    }

    private readonly record struct Entry(MqttDeviceConnection? Holder, DateTimeOffset ExpiresAt);
}
