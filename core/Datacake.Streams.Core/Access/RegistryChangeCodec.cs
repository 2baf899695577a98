using System.Collections.Immutable;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Datacake.Streams.Ids;

namespace Datacake.Streams.Access;

/// <summary>Turns registry changes into <c>dcs.registry</c> keys and values and back.</summary>
public sealed class RegistryChangeCodec
{
    public const int FormatVersion = 1;

    private readonly RegistryMac _mac;
    private readonly RegistrySecretSealer? _sealer;

    /// <param name="mac">Signs every value written and verifies every value read (<see cref="RegistryMac"/>).</param>
    /// <param name="sealer">Needed to publish or read webhook signing keys; without it a webhook that has one cannot be encoded, and one read from the log loses it.</param>
    public RegistryChangeCodec(RegistryMac mac, RegistrySecretSealer? sealer = null)
    {
        _mac = mac ?? throw new ArgumentNullException(nameof(mac));
        _sealer = sealer;
    }

    public static byte[] EncodeKey(RegistryChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        return Encoding.UTF8.GetBytes(change.Key);
    }

    /// <summary>
    /// The value to append: the MAC, then JSON for an upsert or nothing for a removal. A removal is signed too (it is
    /// no Kafka tombstone then, so compaction keeps one 32-byte value per removed key): an unsigned removal would let
    /// anyone who can produce to the topic delete a workspace's tokens and devices.
    /// </summary>
    public byte[] EncodeValue(RegistryChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        return _mac.Sign(EncodeKey(change), EncodePayload(change));
    }

    /// <summary>The unsigned part of a value: JSON for an upsert, empty for a removal.</summary>
    internal byte[] EncodePayload(RegistryChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        return change switch
        {
            TokenUpserted t => Serialize(ToDocument(t.Grant), RegistryJsonContext.Default.TokenDocument),
            WebhookUpserted w => Serialize(ToDocument(w.Webhook), RegistryJsonContext.Default.WebhookDocument),
            DeviceUpserted d => Serialize(ToDocument(d.Device), RegistryJsonContext.Default.DeviceDocument),
            WorkspaceUpserted s => Serialize(ToDocument(s.Workspace), RegistryJsonContext.Default.WorkspaceDocument),
            DecoderUpserted c => Serialize(new DecoderDocument { Version = FormatVersion, Id = c.Decoder.Id, Workspace = c.Decoder.WorkspaceId, Source = c.Decoder.Source }, RegistryJsonContext.Default.DecoderDocument),
            _ when change.IsRemoval => [],
            _ => throw new ArgumentException($"unknown registry change {change.GetType().Name}", nameof(change)),
        };
    }

    /// <summary>
    /// Reads one record of <c>dcs.registry</c>. Never throws. On <see cref="RegistryDecodeStatus.Unauthenticated"/>
    /// <paramref name="change"/> is null: nothing is applied, not even a removal (a forger could otherwise delete).
    /// On <see cref="RegistryDecodeStatus.Corrupt"/> (signed, but unreadable), <paramref name="change"/> is the removal
    /// of the entity the key names: a node that cannot read a change forgets the entity rather than keep granting what
    /// it may no longer grant (fail closed).
    /// </summary>
    public RegistryDecodeStatus TryDecode(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, out RegistryChange? change)
    {
        change = null;
        if (!NamesEntity(key))
        {
            // Barriers (unsigned, empty) and keys of unknown kinds change nothing: no MAC needed to skip them.
            return RegistryDecodeStatus.NotAnEntity;
        }

        if (!_mac.TryVerify(key, value, out var payload))
        {
            return RegistryDecodeStatus.Unauthenticated;
        }

        return TryDecodePayload(key, payload, out change);
    }

    private static bool NamesEntity(ReadOnlySpan<byte> key)
    {
        try
        {
            return RemovalFor(new UTF8Encoding(false, true).GetString(key)) is not null;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>Reads the unsigned part of a value (<see cref="EncodePayload"/>); the MAC is checked by <see cref="TryDecode"/>.</summary>
    internal RegistryDecodeStatus TryDecodePayload(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, out RegistryChange? change)
    {
        change = null;
        string keyText;
        try
        {
            keyText = new UTF8Encoding(false, true).GetString(key);
        }
        catch (ArgumentException)
        {
            return RegistryDecodeStatus.NotAnEntity;
        }

        var removal = RemovalFor(keyText);
        if (removal is null)
        {
            return RegistryDecodeStatus.NotAnEntity;
        }

        if (value.IsEmpty)
        {
            change = removal;
            return RegistryDecodeStatus.Ok;
        }

        RegistryChange? decoded;
        try
        {
            decoded = removal switch
            {
                TokenRemoved r => FromDocument(JsonSerializer.Deserialize(value, RegistryJsonContext.Default.TokenDocument), r.TokenId),
                WebhookRemoved r => FromDocument(JsonSerializer.Deserialize(value, RegistryJsonContext.Default.WebhookDocument), r.WebhookId, keyText),
                DeviceRemoved r => FromDocument(JsonSerializer.Deserialize(value, RegistryJsonContext.Default.DeviceDocument), r.DeviceId),
                WorkspaceRemoved r => FromDocument(JsonSerializer.Deserialize(value, RegistryJsonContext.Default.WorkspaceDocument), r.WorkspaceId),
                DecoderRemoved r => FromDocument(JsonSerializer.Deserialize(value, RegistryJsonContext.Default.DecoderDocument), r.DecoderId),
                _ => null,
            };
        }
        catch (JsonException)
        {
            decoded = null;
        }

        change = decoded ?? removal;
        return decoded is null ? RegistryDecodeStatus.Corrupt : RegistryDecodeStatus.Ok;
    }

    private static RegistryChange? RemovalFor(string key)
    {
        if (Id(key, RegistryKeys.Token) is { } token)
        {
            return new TokenRemoved(token);
        }

        if (Id(key, RegistryKeys.Webhook) is { } webhook)
        {
            return new WebhookRemoved(webhook);
        }

        if (Id(key, RegistryKeys.Workspace) is { } workspace)
        {
            return new WorkspaceRemoved(workspace);
        }

        if (Id(key, RegistryKeys.Decoder) is { } decoder)
        {
            return new DecoderRemoved(decoder);
        }

        return Id(key, RegistryKeys.Device) is { } device && DeviceId.TryParse(device, out var deviceId) ? new DeviceRemoved(deviceId) : null;
    }

    private static string? Id(string key, string prefix) =>
        key.Length > prefix.Length && key.StartsWith(prefix, StringComparison.Ordinal) ? key[prefix.Length..] : null;

    private static byte[] Serialize<T>(T document, JsonTypeInfo<T> info) => JsonSerializer.SerializeToUtf8Bytes(document, info);

    private static TokenDocument ToDocument(TokenGrant grant) => new()
    {
        Version = FormatVersion,
        Id = grant.TokenId,
        Hash = grant.Hash.ToHex(),
        Workspace = grant.WorkspaceId,
        Role = grant.Role,
        Devices = grant.Devices.IsEmpty ? null : [.. grant.Devices.Select(d => new DeviceGrantDocument { Id = d.Device.ToString(), Access = d.Access })],
        ExpiresAt = grant.ExpiresAt,
        DisabledAt = grant.DisabledAt,
        RevokedAt = grant.RevokedAt,
        PreviousHash = grant.Rotation?.PreviousHash.ToHex(),
        PreviousValidUntil = grant.Rotation?.ValidUntil,
    };

    private static TokenUpserted? FromDocument(TokenDocument? document, string id)
    {
        if (document is null || document.Version != FormatVersion || document.Id != id || !TokenHash.TryParseHex(document.Hash, out var hash)
            || !Enum.IsDefined(document.Role))
        {
            return null;
        }

        var devices = ImmutableArray.CreateBuilder<DeviceGrant>();
        foreach (var device in document.Devices ?? [])
        {
            if (device is null || !DeviceId.TryParse(device.Id, out var deviceId) || !Enum.IsDefined(device.Access))
            {
                return null;
            }

            devices.Add(new DeviceGrant(deviceId, device.Access));
        }

        TokenRotation? rotation = null;
        if (document.PreviousHash is not null)
        {
            if (!TokenHash.TryParseHex(document.PreviousHash, out var previous) || document.PreviousValidUntil is not { } until)
            {
                return null;
            }

            rotation = new TokenRotation(previous, until);
        }

        return new TokenUpserted(new TokenGrant
        {
            TokenId = id,
            Hash = hash,
            WorkspaceId = document.Workspace,
            Role = document.Role,
            Devices = devices.ToImmutable(),
            ExpiresAt = document.ExpiresAt,
            DisabledAt = document.DisabledAt,
            RevokedAt = document.RevokedAt,
            Rotation = rotation,
        });
    }

    private WebhookDocument ToDocument(WebhookGrant webhook)
    {
        byte[]? sealedSecret = null;
        if (webhook.SigningSecret is { } secret)
        {
            if (_sealer is null)
            {
                throw new InvalidOperationException("a webhook signing key can only be published sealed: give the codec a RegistrySecretSealer");
            }

            sealedSecret = _sealer.Seal(secret.Span, Encoding.UTF8.GetBytes(RegistryChange.WebhookKey(webhook.WebhookId)));
        }

        byte[]? sealedPrevious = null;
        if (webhook.SecretRotation is { } secretRotation)
        {
            if (_sealer is null)
            {
                throw new InvalidOperationException("a webhook signing key can only be published sealed: give the codec a RegistrySecretSealer");
            }

            sealedPrevious = _sealer.Seal(secretRotation.PreviousSecret.Span, PreviousSecretAssociatedData(webhook.WebhookId));
        }

        return new WebhookDocument
        {
            Version = FormatVersion,
            Id = webhook.WebhookId,
            Workspace = webhook.WorkspaceId,
            Kind = webhook.Kind,
            TokenHash = webhook.TokenHash.ToHex(),
            Devices = [.. webhook.Devices.Select(d => d.ToString()).Order(StringComparer.Ordinal)],
            DisabledAt = webhook.DisabledAt,
            SealedSecret = sealedSecret,
            PreviousTokenHash = webhook.Rotation?.PreviousHash.ToHex(),
            PreviousTokenValidUntil = webhook.Rotation?.ValidUntil,
            SealedPreviousSecret = sealedPrevious,
            PreviousSecretValidUntil = webhook.SecretRotation?.ValidUntil,
        };
    }

    // Its own associated data, so that the current and the replaced key cannot be swapped inside a value.
    private static byte[] PreviousSecretAssociatedData(string webhookId) => Encoding.UTF8.GetBytes(RegistryChange.WebhookKey(webhookId) + "#previous");

    private WebhookUpserted? FromDocument(WebhookDocument? document, string id, string key)
    {
        if (document is null || document.Version != FormatVersion || document.Id != id || string.IsNullOrEmpty(document.Workspace)
            || !TokenHash.TryParseHex(document.TokenHash, out var hash) || !Enum.IsDefined(document.Kind))
        {
            return null;
        }

        var devices = new HashSet<DeviceId>();
        foreach (var device in document.Devices ?? [])
        {
            if (!DeviceId.TryParse(device, out var deviceId))
            {
                return null;
            }

            devices.Add(deviceId);
        }

        ReadOnlyMemory<byte>? secret = null;
        if (document.SealedSecret is { } sealedSecret)
        {
            // A signing key this node cannot open (no registry key, wrong key, altered bytes): drop the webhook
            // rather than accept unsigned requests for it.
            if (_sealer is null || !_sealer.TryUnseal(sealedSecret, Encoding.UTF8.GetBytes(key), out var plain))
            {
                return null;
            }

            secret = plain;
        }

        TokenRotation? rotation = null;
        if (document.PreviousTokenHash is not null)
        {
            if (!TokenHash.TryParseHex(document.PreviousTokenHash, out var previous) || document.PreviousTokenValidUntil is not { } until)
            {
                return null;
            }

            rotation = new TokenRotation(previous, until);
        }

        SigningSecretRotation? secretRotation = null;
        if (document.SealedPreviousSecret is { } sealedPrevious)
        {
            if (document.PreviousSecretValidUntil is not { } until || _sealer is null
                || !_sealer.TryUnseal(sealedPrevious, PreviousSecretAssociatedData(id), out var previousKey))
            {
                return null;
            }

            secretRotation = new SigningSecretRotation(previousKey, until);
        }

        return new WebhookUpserted(new WebhookGrant
        {
            WebhookId = id,
            WorkspaceId = document.Workspace,
            Kind = document.Kind,
            TokenHash = hash,
            Devices = devices,
            DisabledAt = document.DisabledAt,
            SigningSecret = secret,
            Rotation = rotation,
            SecretRotation = secretRotation,
        });
    }

    private static DeviceDocument ToDocument(DeviceEntry device) => new()
    {
        Version = FormatVersion,
        Id = device.Id.ToString(),
        Workspace = device.WorkspaceId,
        DeletedAt = device.DeletedAt,
        DevEui = device.DevEui?.ToString(),
        Serial = device.Serial,
        ParticleId = device.ParticleId,
        Decoder = device.DecoderId,
    };

    private static DeviceUpserted? FromDocument(DeviceDocument? document, DeviceId id)
    {
        if (document is null || document.Version != FormatVersion || !DeviceId.TryParse(document.Id, out var documentId) || documentId != id
            || string.IsNullOrEmpty(document.Workspace))
        {
            return null;
        }

        DevEui? eui = null;
        if (document.DevEui is not null)
        {
            if (!DevEui.TryParse(document.DevEui, out var parsed))
            {
                return null;
            }

            eui = parsed;
        }

        return new DeviceUpserted(new DeviceEntry
        {
            Id = id,
            WorkspaceId = document.Workspace,
            DeletedAt = document.DeletedAt,
            DevEui = eui,
            Serial = document.Serial,
            ParticleId = document.ParticleId,
            DecoderId = document.Decoder,
        });
    }

    private static WorkspaceDocument ToDocument(WorkspaceEntry workspace) => new()
    {
        Version = FormatVersion,
        Id = workspace.Id,
        Parent = workspace.ParentId,
        Quota = workspace.Quota is { } quota ? new QuotaDocument { PointsPerSecond = quota.PointsPerSecond, Burst = quota.Burst } : null,
    };

    /// <summary>A quota is an additive field of v1: values written before it existed have none and read as before.</summary>
    private static WorkspaceUpserted? FromDocument(WorkspaceDocument? document, string id)
    {
        if (document is null || document.Version != FormatVersion || document.Id != id)
        {
            return null;
        }

        IngestQuota? quota = null;
        if (document.Quota is { } stored)
        {
            quota = new IngestQuota(stored.PointsPerSecond, stored.Burst);
            if (quota.Check().Count > 0)
            {
                return null;
            }
        }

        return new WorkspaceUpserted(new WorkspaceEntry(id, document.Parent, quota));
    }

    private static DecoderUpserted? FromDocument(DecoderDocument? document, string id) =>
        document is null || document.Version != FormatVersion || document.Id != id || string.IsNullOrEmpty(document.Workspace)
            ? null
            : new DecoderUpserted(new DecoderEntry(id, document.Workspace, document.Source));
}

/// <summary>What <see cref="RegistryChangeCodec.TryDecode"/> made of a record.</summary>
public enum RegistryDecodeStatus
{
    Ok,

    /// <summary>The key names no entity (a feed's barrier, or a key from a newer kind of entity): skip the record.</summary>
    NotAnEntity,

    /// <summary>The key names an entity but the value cannot be read: apply the removal given instead.</summary>
    Corrupt,

    /// <summary>The value carries no MAC that verifies under the registry key (forged, altered, or older than signing): apply nothing.</summary>
    Unauthenticated,
}
