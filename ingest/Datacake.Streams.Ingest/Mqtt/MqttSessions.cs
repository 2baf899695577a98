using Datacake.Streams.Access;

namespace Datacake.Streams.Ingest.Mqtt;

/// <summary>
/// The sessions the broker remembers, by credential-scoped session id (<see cref="ClientIdScope"/>): which connection
/// holds each, and until when a session without a connection lives on. The broker routes nothing, so a session holds
/// no messages; what it carries is the answer to "session present" in CONNACK, which tells a client whether to resend
/// the QoS 1 messages it has not seen acknowledged (an MQTT 5 client told "no session" discards them, MQTT-3.2.2-5).
/// </summary>
/// <remarks>
/// Sessions without a connection are capped per credential (<see cref="MqttIngestOptions.MaxKeptSessionsPerCredential"/>):
/// a client may ask for a session that never expires (v5 0xFFFFFFFF, or 3.1.1 without clean session), so a token
/// cycling through client ids would otherwise grow this map, in the memory every tenant shares, without end. Past the
/// cap the credential's session released longest ago is forgotten: the cost stays with the credential that made them.
/// </remarks>
internal sealed class MqttSessions(TimeProvider timeProvider, int maxKeptPerCredential)
{
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly Dictionary<TokenHash, LinkedList<string>> _keptByCredential = [];
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
                Unkeep(entry);
            }

            _entries[connection.SessionId] = new Entry(connection, DateTimeOffset.MaxValue, connection.Fingerprint, null);
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
                return;
            }

            var expires = expirySeconds == uint.MaxValue ? DateTimeOffset.MaxValue : now.AddSeconds(expirySeconds);
            if (!_keptByCredential.TryGetValue(entry.Credential, out var kept))
            {
                _keptByCredential[entry.Credential] = kept = new LinkedList<string>();
            }

            _entries[connection.SessionId] = new Entry(null, expires, entry.Credential, kept.AddLast(connection.SessionId));
            if (kept.Count > maxKeptPerCredential && kept.First is { } oldest)
            {
                _entries.Remove(oldest.Value);
                kept.RemoveFirst();
            }
        }
    }

    /// <summary>Sessions without a connection that <paramref name="credential"/> has kept.</summary>
    public int KeptBy(TokenHash credential)
    {
        lock (_lock)
        {
            return _keptByCredential.TryGetValue(credential, out var kept) ? kept.Count : 0;
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
                    Unkeep(entry);
                }
            }
        }
    }

    private void Unkeep(Entry entry)
    {
        if (entry.Kept is not { List: { } kept } node)
        {
            return;
        }

        kept.Remove(node);
        if (kept.Count == 0)
        {
            _keptByCredential.Remove(entry.Credential);
        }
    }

    /// <param name="Kept">Its place in the credential's kept sessions, oldest release first; null while a connection holds it.</param>
    private readonly record struct Entry(MqttDeviceConnection? Holder, DateTimeOffset ExpiresAt, TokenHash Credential, LinkedListNode<string>? Kept);
}
