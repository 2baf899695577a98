using System.Collections.Immutable;
using Datacake.Streams.Access;
using Datacake.Streams.Ids;

namespace Datacake.Streams.Api.Metadata;

/// <summary>
/// A person. The e-mail is the only personal datum the platform keeps, here and nowhere else. A disabled user
/// (operator offboarding) keeps memberships and tokens, and none of the tokens is accepted until enabled again.
/// </summary>
public sealed record UserRecord(string Id, string Email, DateTimeOffset CreatedAt, DateTimeOffset? DisabledAt = null);

public sealed record WorkspaceRecord(string Id, string Name, string? ParentId, DateTimeOffset CreatedAt);

public sealed record MembershipRecord(string WorkspaceId, string UserId, WorkspaceRole Role);

/// <summary>What <see cref="IMetadataStore.SetMemberRoleAsync"/> did.</summary>
public enum RoleChange
{
    Changed,
    NotMember,
    LastOwner,
}

/// <summary>A member: the e-mail joined from the users table, shown only to the workspace's admins and owners.</summary>
public sealed record MemberRecord(string UserId, string Email, WorkspaceRole Role);

/// <summary>
/// Who made an invitation: a user (with the user token they used) or a scoped token alone. Ids only, never a secret;
/// acceptance checks again that this inviter still holds the right (an invitation made before the inviter's ids were
/// recorded has only one of them).
/// </summary>
public sealed record Inviter(string? UserId, string? TokenId);

/// <summary>
/// An explicit invitation to a workspace, addressed to a user id or to an e-mail (whichever user has that e-mail, now
/// or created later; <see cref="UserId"/> then names who accepted); pending until accepted, void after <see cref="ExpiresAt"/>.
/// </summary>
public sealed record InvitationRecord(
    string Id,
    string WorkspaceId,
    string? UserId,
    WorkspaceRole Role,
    Inviter InvitedBy,
    DateTimeOffset CreatedAt,
    DateTimeOffset ExpiresAt,
    DateTimeOffset? AcceptedAt,
    string? Email = null)
{
    /// <summary>Whether the invitation is addressed to this user (by id, or by the e-mail the user has).</summary>
    public bool IsFor(UserRecord user) =>
        UserId == user.Id || (UserId is null && Email is not null && string.Equals(Email, user.Email, StringComparison.OrdinalIgnoreCase));

    /// <summary>Expired from the instant <see cref="ExpiresAt"/> on, like tokens (<c>RegistryTime.ReachedBy</c>).</summary>
    public bool IsExpiredAt(DateTimeOffset at) => at >= ExpiresAt;
}

public sealed record DeviceRecord(
    DeviceId Id,
    string WorkspaceId,
    string Name,
    DevEui? DevEui,
    string? Serial,
    string? ParticleId,
    string? Decoder,
    DateTimeOffset CreatedAt,
    DateTimeOffset? DeletedAt)
{
    public DeviceEntry ToEntry() => new()
    {
        Id = Id,
        WorkspaceId = WorkspaceId,
        DevEui = DevEui,
        Serial = Serial,
        ParticleId = ParticleId,
        DecoderId = Decoder,
        DeletedAt = DeletedAt,
    };
}

/// <summary>Whose a token is: a user's own (roles come from memberships) or a scope held by a workspace.</summary>
public enum TokenKind
{
    User = 1,
    Scoped = 2,
}

/// <summary>A token as stored: its SHA-256 only, never the secret.</summary>
public sealed record TokenRecord
{
    public required string Id { get; init; }

    public required TokenKind Kind { get; init; }

    public required TokenHash Hash { get; init; }

    public required string Name { get; init; }

    /// <summary>The user a <see cref="TokenKind.User"/> token belongs to.</summary>
    public string? OwnerUserId { get; init; }

    /// <summary>A scoped token's workspace: its role holds there and below, its devices must lie there or below.</summary>
    public string? WorkspaceId { get; init; }

    public WorkspaceRole Role { get; init; }

    public ImmutableArray<DeviceGrant> Devices { get; init; } = [];

    public DateTimeOffset? ExpiresAt { get; init; }

    public DateTimeOffset? DisabledAt { get; init; }

    public DateTimeOffset? RevokedAt { get; init; }

    public TokenRotation? Rotation { get; init; }

    /// <summary>Who made it (user id, or the token id of a scoped token with an admin role); for the audit of a listing.</summary>
    public string? CreatedBy { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    public TokenGrant ToGrant() => new()
    {
        TokenId = Id,
        Hash = Hash,
        WorkspaceId = WorkspaceId,
        Role = Role,
        Devices = Devices,
        ExpiresAt = ExpiresAt,
        DisabledAt = DisabledAt,
        RevokedAt = RevokedAt,
        Rotation = Rotation,
    };
}

/// <summary>A webhook: its token as a hash, its Standard Webhooks signing key only sealed (AES-GCM, registry key).</summary>
public sealed record WebhookRecord(
    string Id,
    string WorkspaceId,
    WebhookKind Kind,
    TokenHash TokenHash,
    ImmutableArray<DeviceId> Devices,
    byte[]? SealedSecret,
    DateTimeOffset CreatedAt)
{
    /// <summary>When it was paused (its requests refused from then on); null while it runs.</summary>
    public DateTimeOffset? DisabledAt { get; init; }

    /// <summary>The token the last rotation replaced, valid until the overlap's end.</summary>
    public TokenRotation? Rotation { get; init; }

    /// <summary>The signing key the last rotation replaced, sealed like <see cref="SealedSecret"/>.</summary>
    public byte[]? PreviousSealedSecret { get; init; }

    public DateTimeOffset? PreviousSecretValidUntil { get; init; }
}

public sealed record DecoderRecord(string Id, string WorkspaceId, string Name, string Source, DateTimeOffset CreatedAt);

/// <summary>The code a device deletion must be confirmed with, stored as a hash like every other secret.</summary>
public sealed record DeletionConfirmation(TokenHash CodeHash, DeviceId Device, DateTimeOffset ExpiresAt);
