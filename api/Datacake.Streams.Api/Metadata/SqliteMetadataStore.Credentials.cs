using System.Collections.Immutable;
using System.Data.Common;
using System.Text.Json;
using Datacake.Streams.Access;
using Datacake.Streams.Ids;
using Microsoft.Data.Sqlite;

namespace Datacake.Streams.Api.Metadata;

// Tokens, webhooks and decoders: only hashes and sealed secrets are written.
public sealed partial class SqliteMetadataStore
{
    private const string TokenColumns =
        "id, kind, hash, name, owner_user_id, workspace_id, role, devices, expires_at, disabled_at, revoked_at, previous_hash, previous_valid_until, created_by, created_at";

    private const string WebhookColumns =
        "id, workspace_id, kind, token_hash, devices, sealed_secret, created_at, disabled_at, previous_token_hash, previous_token_valid_until, previous_sealed_secret, previous_secret_valid_until";

    public async Task CreateTokenAsync(TokenRecord token, CancellationToken cancellationToken)
    {
        using var write = BeginWrite();
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        await InsertTokenAsync(connection, transaction, token, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    public async Task<TokenRecord?> GetTokenAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        var rows = await QueryAsync(connection, $"SELECT {TokenColumns} FROM tokens WHERE id = $id", ReadToken, cancellationToken, ("$id", id));
        return rows.FirstOrDefault();
    }

    public async Task<TokenRecord?> FindTokenByHashAsync(TokenHash hash, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        var rows = await QueryAsync(
            connection,
            $"SELECT {TokenColumns} FROM tokens WHERE hash = $h OR previous_hash = $h LIMIT 1",
            ReadToken,
            cancellationToken,
            ("$h", hash.ToBytes()));
        return rows.FirstOrDefault();
    }

    public async Task<IReadOnlyList<TokenRecord>> ListScopedTokensAsync(string? workspaceId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        return await QueryAsync(
            connection,
            $"SELECT {TokenColumns} FROM tokens WHERE kind = $k AND ($w IS NULL OR workspace_id = $w) ORDER BY created_at, id",
            ReadToken,
            cancellationToken,
            ("$k", (int)TokenKind.Scoped),
            ("$w", workspaceId));
    }

    public async Task<IReadOnlyList<TokenRecord>> ListUserTokensAsync(string userId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        return await QueryAsync(
            connection,
            $"SELECT {TokenColumns} FROM tokens WHERE kind = $k AND owner_user_id = $u ORDER BY created_at, id",
            ReadToken,
            cancellationToken,
            ("$k", (int)TokenKind.User),
            ("$u", userId));
    }

    public async Task UpdateTokenAsync(TokenRecord token, CancellationToken cancellationToken)
    {
        using var write = BeginWrite();
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await ExecuteAsync(
            connection,
            """
            UPDATE tokens SET kind = $kind, hash = $hash, name = $name, owner_user_id = $owner, workspace_id = $w, role = $role,
                devices = $devices, expires_at = $expires, disabled_at = $disabled, revoked_at = $revoked,
                previous_hash = $previous, previous_valid_until = $until, created_by = $by, created_at = $at
            WHERE id = $id
            """,
            cancellationToken,
            null,
            TokenParameters(token));
    }

    public async Task CreateWebhookAsync(WebhookRecord webhook, CancellationToken cancellationToken)
    {
        using var write = BeginWrite();
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await ExecuteAsync(
            connection,
            $"INSERT INTO webhooks ({WebhookColumns}) VALUES ($id, $w, $kind, $hash, $devices, $secret, $at, $disabled, $previous, $until, $previousSecret, $secretUntil)",
            cancellationToken,
            null,
            WebhookParameters(webhook));
    }

    /// <summary>Writes every field but the id, workspace, kind and creation time, which never change; false when the webhook is gone.</summary>
    public async Task<bool> UpdateWebhookAsync(WebhookRecord webhook, CancellationToken cancellationToken)
    {
        using var write = BeginWrite();
        await using var connection = await OpenConnectionAsync(cancellationToken);
        return await ExecuteAsync(
            connection,
            """
            UPDATE webhooks SET token_hash = $hash, devices = $devices, sealed_secret = $secret, disabled_at = $disabled,
                previous_token_hash = $previous, previous_token_valid_until = $until,
                previous_sealed_secret = $previousSecret, previous_secret_valid_until = $secretUntil
            WHERE id = $id
            """,
            cancellationToken,
            null,
            WebhookParameters(webhook)) > 0;
    }

    public async Task<WebhookRecord?> GetWebhookAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        var rows = await QueryAsync(connection, $"SELECT {WebhookColumns} FROM webhooks WHERE id = $id", ReadWebhook, cancellationToken, ("$id", id));
        return rows.FirstOrDefault();
    }

    public async Task<IReadOnlyList<WebhookRecord>> ListWebhooksAsync(string? workspaceId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        return await QueryAsync(
            connection,
            $"SELECT {WebhookColumns} FROM webhooks WHERE $w IS NULL OR workspace_id = $w ORDER BY created_at, id",
            ReadWebhook,
            cancellationToken,
            ("$w", workspaceId));
    }

    public async Task<bool> DeleteWebhookAsync(string id, CancellationToken cancellationToken)
    {
        using var write = BeginWrite();
        await using var connection = await OpenConnectionAsync(cancellationToken);
        return await ExecuteAsync(connection, "DELETE FROM webhooks WHERE id = $id", cancellationToken, null, ("$id", id)) > 0;
    }

    public async Task CreateDecoderAsync(DecoderRecord decoder, CancellationToken cancellationToken)
    {
        using var write = BeginWrite();
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await ExecuteAsync(
            connection,
            "INSERT INTO decoders (id, workspace_id, name, source, created_at) VALUES ($id, $w, $name, $source, $at)",
            cancellationToken,
            null,
            ("$id", decoder.Id),
            ("$w", decoder.WorkspaceId),
            ("$name", decoder.Name),
            ("$source", decoder.Source),
            ("$at", Ticks(decoder.CreatedAt)));
    }

    public async Task<bool> UpdateDecoderAsync(DecoderRecord decoder, CancellationToken cancellationToken)
    {
        using var write = BeginWrite();
        await using var connection = await OpenConnectionAsync(cancellationToken);
        return await ExecuteAsync(
            connection,
            "UPDATE decoders SET name = $name, source = $source WHERE id = $id",
            cancellationToken,
            null,
            ("$id", decoder.Id),
            ("$name", decoder.Name),
            ("$source", decoder.Source)) > 0;
    }

    public async Task<DecoderRecord?> GetDecoderAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        var rows = await QueryAsync(
            connection,
            "SELECT id, workspace_id, name, source, created_at FROM decoders WHERE id = $id",
            ReadDecoder,
            cancellationToken,
            ("$id", id));
        return rows.FirstOrDefault();
    }

    public async Task<IReadOnlyList<DecoderRecord>> ListDecodersAsync(string? workspaceId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        return await QueryAsync(
            connection,
            "SELECT id, workspace_id, name, source, created_at FROM decoders WHERE $w IS NULL OR workspace_id = $w ORDER BY created_at, id",
            ReadDecoder,
            cancellationToken,
            ("$w", workspaceId));
    }

    private static Task<int> InsertTokenAsync(SqliteConnection connection, SqliteTransaction transaction, TokenRecord token, CancellationToken cancellationToken) =>
        ExecuteAsync(
            connection,
            $"""
            INSERT INTO tokens ({TokenColumns}) VALUES
                ($id, $kind, $hash, $name, $owner, $w, $role, $devices, $expires, $disabled, $revoked, $previous, $until, $by, $at)
            """,
            cancellationToken,
            transaction,
            TokenParameters(token));

    private static (string, object?)[] TokenParameters(TokenRecord token) =>
    [
        ("$id", token.Id),
        ("$kind", (int)token.Kind),
        ("$hash", token.Hash.ToBytes()),
        ("$name", token.Name),
        ("$owner", token.OwnerUserId),
        ("$w", token.WorkspaceId),
        ("$role", (int)token.Role),
        ("$devices", JsonSerializer.Serialize(token.Devices.Select(d => new StoredDeviceGrant(d.Device.ToString(), (int)d.Access)))),
        ("$expires", Ticks(token.ExpiresAt)),
        ("$disabled", Ticks(token.DisabledAt)),
        ("$revoked", Ticks(token.RevokedAt)),
        ("$previous", token.Rotation?.PreviousHash.ToBytes()),
        ("$until", Ticks(token.Rotation?.ValidUntil)),
        ("$by", token.CreatedBy),
        ("$at", Ticks(token.CreatedAt)),
    ];

    private static TokenRecord ReadToken(DbDataReader r)
    {
        var devices = JsonSerializer.Deserialize<StoredDeviceGrant[]>(r.GetString(7)) ?? [];
        return new TokenRecord
        {
            Id = r.GetString(0),
            Kind = (TokenKind)r.GetInt32(1),
            Hash = Hash(r, 2),
            Name = r.GetString(3),
            OwnerUserId = TextOrNull(r, 4),
            WorkspaceId = TextOrNull(r, 5),
            Role = (WorkspaceRole)r.GetInt32(6),
            Devices = [.. devices.Select(d => new DeviceGrant(DeviceId.Parse(d.Id), (DeviceAccess)d.Access))],
            ExpiresAt = TimeOrNull(r, 8),
            DisabledAt = TimeOrNull(r, 9),
            RevokedAt = TimeOrNull(r, 10),
            Rotation = r.IsDBNull(11) ? null : new TokenRotation(Hash(r, 11), Time(r, 12)),
            CreatedBy = TextOrNull(r, 13),
            CreatedAt = Time(r, 14),
        };
    }

    private static (string, object?)[] WebhookParameters(WebhookRecord webhook) =>
    [
        ("$id", webhook.Id),
        ("$w", webhook.WorkspaceId),
        ("$kind", (int)webhook.Kind),
        ("$hash", webhook.TokenHash.ToBytes()),
        ("$devices", JsonSerializer.Serialize(webhook.Devices.Select(d => d.ToString()))),
        ("$secret", webhook.SealedSecret),
        ("$at", Ticks(webhook.CreatedAt)),
        ("$disabled", Ticks(webhook.DisabledAt)),
        ("$previous", webhook.Rotation?.PreviousHash.ToBytes()),
        ("$until", Ticks(webhook.Rotation?.ValidUntil)),
        ("$previousSecret", webhook.PreviousSealedSecret),
        ("$secretUntil", Ticks(webhook.PreviousSealedSecret is null ? null : webhook.PreviousSecretValidUntil)),
    ];

    private static WebhookRecord ReadWebhook(DbDataReader r) => new(
        r.GetString(0),
        r.GetString(1),
        (WebhookKind)r.GetInt32(2),
        Hash(r, 3),
        [.. (JsonSerializer.Deserialize<string[]>(r.GetString(4)) ?? []).Select(DeviceId.Parse)],
        r.IsDBNull(5) ? null : (byte[])r.GetValue(5),
        Time(r, 6))
    {
        DisabledAt = TimeOrNull(r, 7),
        Rotation = r.IsDBNull(8) ? null : new TokenRotation(Hash(r, 8), Time(r, 9)),
        PreviousSealedSecret = r.IsDBNull(10) ? null : (byte[])r.GetValue(10),
        PreviousSecretValidUntil = TimeOrNull(r, 11),
    };

    private static DecoderRecord ReadDecoder(DbDataReader r) => new(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), Time(r, 4));

    private sealed record StoredDeviceGrant(string Id, int Access);
}
