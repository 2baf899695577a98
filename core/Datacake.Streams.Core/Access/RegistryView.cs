using System.Collections.Concurrent;
using Datacake.Streams.Ids;

namespace Datacake.Streams.Access;

/// <summary>
/// The in-memory registry every ingest and processing node reads on its hot path: tokens by hash, webhooks,
/// devices and the workspace tree, built from <c>dcs.registry</c> by a <see cref="RegistryFeed"/>.
/// </summary>
/// <remarks>
/// Readers never lock: every map is a <see cref="ConcurrentDictionary{TKey,TValue}"/> or, for the hashes checked on
/// every request, a <see cref="TokenHashTable{T}"/>, whose reads are lock-free, and every value is immutable (a change replaces the object). Writers (<see cref="Apply"/>) are serialized by a
/// lock; a reader may see one change half applied across maps (a new token before its old hash is removed) but
/// never a torn entry, and each change is complete before <see cref="Version"/> moves.
/// </remarks>
public sealed partial class RegistryView
{
    // Workspace trees deeper than this are refused by the API; the bound also stops a parent cycle in bad data.
    public const int MaxWorkspaceDepth = 32;

    private readonly Lock _writeLock = new();
    private readonly TimeProvider _timeProvider;

    private readonly TokenHashTable<TokenGrant> _tokensByHash = new();
    private readonly ConcurrentDictionary<string, TokenGrant> _tokensById = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, WebhookGrant> _webhooksById = new(StringComparer.Ordinal);
    private readonly TokenHashTable<WebhookGrant> _webhooksByHash = new();
    private readonly ConcurrentDictionary<DeviceId, DeviceEntry> _devices = new();
    private readonly ConcurrentDictionary<string, WorkspaceEntry> _workspaces = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DecoderEntry> _decoders = new(StringComparer.Ordinal);

    private long _version;

    public RegistryView(TimeProvider? timeProvider = null)
    {
        _timeProvider = timeProvider ?? TimeProvider.System;
        _serialLookup = _devicesBySerial.GetAlternateLookup<ReadOnlySpan<char>>();
        _particleLookup = _devicesByParticleId.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>Number of changes applied so far; moves after each change is complete.</summary>
    public long Version => Interlocked.Read(ref _version);

    public int TokenCount => _tokensById.Count;

    public int WebhookCount => _webhooksById.Count;

    public int DeviceCount => _devices.Count;

    public int WorkspaceCount => _workspaces.Count;

    /// <summary>A snapshot of the current tokens (allocates; for the API and tests, not the hot path).</summary>
    public IReadOnlyCollection<TokenGrant> Tokens => [.. _tokensById.Values];

    public IReadOnlyCollection<WebhookGrant> Webhooks => [.. _webhooksById.Values];

    public IReadOnlyCollection<DeviceEntry> Devices => [.. _devices.Values];

    public IReadOnlyCollection<WorkspaceEntry> Workspaces => [.. _workspaces.Values];

    public IReadOnlyCollection<DecoderEntry> Decoders => [.. _decoders.Values];

    public bool TryGetToken(string tokenId, out TokenGrant? grant) => _tokensById.TryGetValue(tokenId, out grant);

    public bool TryGetWebhook(string webhookId, out WebhookGrant? webhook) => _webhooksById.TryGetValue(webhookId, out webhook);

    public bool TryGetWorkspace(string workspaceId, out WorkspaceEntry? workspace) => _workspaces.TryGetValue(workspaceId, out workspace);

    /// <summary>A workspace's JavaScript payload decoder, by the id a <see cref="DeviceEntry.DecoderId"/> names.</summary>
    public bool TryGetDecoder(string decoderId, out DecoderEntry? decoder) => _decoders.TryGetValue(decoderId, out decoder);

    /// <summary>Applies one change. Safe to call from several threads; the feed calls it from one.</summary>
    public void Apply(RegistryChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        lock (_writeLock)
        {
            switch (change)
            {
                case TokenUpserted t:
                    Upsert(t.Grant);
                    break;
                case TokenRemoved t:
                    RemoveToken(t.TokenId);
                    break;
                case WebhookUpserted w:
                    Upsert(w.Webhook);
                    break;
                case WebhookRemoved w:
                    RemoveWebhook(w.WebhookId);
                    break;
                case DeviceUpserted d:
                    Upsert(d.Device);
                    break;
                case DeviceRemoved d:
                    RemoveDevice(d.DeviceId);
                    break;
                case WorkspaceUpserted s:
                    _workspaces[s.Workspace.Id] = s.Workspace;
                    break;
                case WorkspaceRemoved s:
                    _workspaces.TryRemove(s.WorkspaceId, out _);
                    break;
                case DecoderUpserted c:
                    _decoders[c.Decoder.Id] = c.Decoder;
                    break;
                case DecoderRemoved c:
                    _decoders.TryRemove(c.DecoderId, out _);
                    break;
                default:
                    throw new ArgumentException($"unknown registry change {change.GetType().Name}", nameof(change));
            }

            Interlocked.Increment(ref _version);
        }
    }

    private void Upsert(TokenGrant grant)
    {
        _tokensById.TryGetValue(grant.TokenId, out var old);
        _tokensById[grant.TokenId] = grant;
        Reindex(_tokensByHash, grant, grant.Hash, grant.Rotation?.PreviousHash, old, old?.Hash, old?.Rotation?.PreviousHash);
    }

    private void RemoveToken(string tokenId)
    {
        if (_tokensById.TryRemove(tokenId, out var old))
        {
            _tokensByHash.Remove(old.Hash, old);
            if (old.Rotation is { } rotation)
            {
                _tokensByHash.Remove(rotation.PreviousHash, old);
            }
        }
    }

    private void Upsert(WebhookGrant webhook)
    {
        _webhooksById.TryGetValue(webhook.WebhookId, out var old);
        _webhooksById[webhook.WebhookId] = webhook;
        Reindex(_webhooksByHash, webhook, webhook.TokenHash, webhook.Rotation?.PreviousHash, old, old?.TokenHash, old?.Rotation?.PreviousHash);
    }

    /// <summary>
    /// Indexes a credential under its hash and the previous one its rotation keeps valid, then drops what the version
    /// before held that this one no longer does. New hashes first: a secret that stays valid is never briefly unknown.
    /// </summary>
    private static void Reindex<T>(TokenHashTable<T> table, T current, TokenHash hash, TokenHash? previous, T? old, TokenHash? oldHash, TokenHash? oldPrevious)
        where T : class, ITokenHashKeyed
    {
        table.Set(hash, current);
        if (previous is { } kept)
        {
            table.Set(kept, current);
        }

        if (old is null)
        {
            return;
        }

        foreach (var stale in (ReadOnlySpan<TokenHash?>)[oldHash, oldPrevious])
        {
            if (stale is { } gone && gone != hash && gone != previous)
            {
                table.Remove(gone, old);
            }
        }
    }

    private void RemoveWebhook(string webhookId)
    {
        if (_webhooksById.TryRemove(webhookId, out var old))
        {
            _webhooksByHash.Remove(old.TokenHash, old);
            if (old.Rotation is { } rotation)
            {
                _webhooksByHash.Remove(rotation.PreviousHash, old);
            }
        }
    }
}
