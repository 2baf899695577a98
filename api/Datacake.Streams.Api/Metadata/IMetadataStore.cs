using Datacake.Streams.Access;
using Datacake.Streams.Ids;

namespace Datacake.Streams.Api.Metadata;

/// <summary>
/// Where names, people and credentials' hashes live: the only store of personal data. The source of truth for the
/// API; the registry on <c>dcs.registry</c> is derived from it (written after each change here, rebuilt from here).
/// Kept to plain reads and writes so that a PostgreSQL store can follow the SQLite one.
/// </summary>
public interface IMetadataStore
{
    /// <summary>
    /// Advances after every write has committed (or failed), never before. A cache of what it read stamps each entry
    /// with the revision it saw before reading the store and trusts the entry only while the revision is unchanged:
    /// any write since (a revoked token, a removed member, a deleted device) makes every entry a miss.
    /// </summary>
    long Revision { get; }

    /// <summary>Creates the user and the user's own token in one transaction.</summary>
    Task CreateUserAsync(UserRecord user, TokenRecord token, CancellationToken cancellationToken);

    Task<UserRecord?> GetUserAsync(string id, CancellationToken cancellationToken);

    /// <summary>
    /// Disables the user from <paramref name="disabledAt"/> on (an earlier instant is kept), or enables the user again
    /// when it is null. False when there is no such user.
    /// </summary>
    Task<bool> SetUserDisabledAsync(string userId, DateTimeOffset? disabledAt, CancellationToken cancellationToken);

    /// <summary>Creates the workspace and, when given, its first membership (the creator as owner) atomically.</summary>
    Task CreateWorkspaceAsync(WorkspaceRecord workspace, MembershipRecord? owner, CancellationToken cancellationToken);

    /// <summary>
    /// Creates <paramref name="workspace"/> as the user's own, with the user as owner, unless the user already has one;
    /// returns the id of the user's own workspace either way (two first calls at once make only one).
    /// </summary>
    Task<string> EnsureHomeWorkspaceAsync(string userId, WorkspaceRecord workspace, CancellationToken cancellationToken);

    Task<WorkspaceRecord?> GetWorkspaceAsync(string id, CancellationToken cancellationToken);

    /// <summary>The workspace and its ancestors, nearest first, at most <paramref name="maxDepth"/> + 1 entries.</summary>
    Task<IReadOnlyList<WorkspaceRecord>> GetAncestryAsync(string id, int maxDepth, CancellationToken cancellationToken);

    /// <summary>The workspaces at and below each of <paramref name="rootIds"/>.</summary>
    Task<IReadOnlyList<WorkspaceRecord>> ListSubtreesAsync(IReadOnlyCollection<string> rootIds, CancellationToken cancellationToken);

    Task<IReadOnlyList<WorkspaceRecord>> ListWorkspacesAsync(CancellationToken cancellationToken);

    /// <summary>The operator's ingest quota of the workspace; null when it has none (the nodes' default applies).</summary>
    Task<IngestQuota?> GetWorkspaceQuotaAsync(string workspaceId, CancellationToken cancellationToken);

    /// <summary>Sets the workspace's ingest quota, or removes it (back to the default) when <paramref name="quota"/> is null.</summary>
    Task SetWorkspaceQuotaAsync(string workspaceId, IngestQuota? quota, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>Every workspace quota the operator set, by workspace id.</summary>
    Task<IReadOnlyDictionary<string, IngestQuota>> ListWorkspaceQuotasAsync(CancellationToken cancellationToken);

    Task<IReadOnlyList<MembershipRecord>> ListMembershipsOfUserAsync(string userId, CancellationToken cancellationToken);

    Task<IReadOnlyList<MemberRecord>> ListMembersAsync(string workspaceId, CancellationToken cancellationToken);

    /// <summary>
    /// Sets a member's role. Refused (<see cref="RoleChange.LastOwner"/>, nothing changed) when it would leave the
    /// workspace without a direct owner: the check and the write are one statement, so two demotions at once cannot
    /// both pass.
    /// </summary>
    Task<RoleChange> SetMemberRoleAsync(string workspaceId, string userId, WorkspaceRole role, CancellationToken cancellationToken);

    /// <summary>False when there was no such membership.</summary>
    Task<bool> RemoveMembershipAsync(string workspaceId, string userId, CancellationToken cancellationToken);

    Task CreateInvitationAsync(InvitationRecord invitation, CancellationToken cancellationToken);

    Task<InvitationRecord?> GetInvitationAsync(string id, CancellationToken cancellationToken);

    /// <summary>The workspace's invitations not accepted yet (expired ones included), oldest first.</summary>
    Task<IReadOnlyList<InvitationRecord>> ListPendingInvitationsAsync(string workspaceId, CancellationToken cancellationToken);

    /// <summary>Invitations not accepted yet (expired ones included) addressed to the user's id or e-mail, oldest first.</summary>
    Task<IReadOnlyList<InvitationRecord>> ListPendingInvitationsForAsync(UserRecord user, CancellationToken cancellationToken);

    /// <summary>Deletes a pending invitation; false when there is no such invitation or it was accepted already.</summary>
    Task<bool> CancelInvitationAsync(string id, CancellationToken cancellationToken);

    /// <summary>
    /// Marks the invitation accepted by <paramref name="userId"/> and makes (or raises) that user's membership, in one
    /// transaction; false (nothing changed) when it was accepted or cancelled in the meantime.
    /// </summary>
    Task<bool> AcceptInvitationAsync(InvitationRecord invitation, string userId, DateTimeOffset at, CancellationToken cancellationToken);

    Task CreateDeviceAsync(DeviceRecord device, CancellationToken cancellationToken);

    Task<DeviceRecord?> GetDeviceAsync(DeviceId id, CancellationToken cancellationToken);

    Task<IReadOnlyList<DeviceRecord>> ListDevicesAsync(IReadOnlyCollection<string> workspaceIds, bool includeDeleted, CancellationToken cancellationToken);

    Task UpdateDeviceAsync(DeviceRecord device, CancellationToken cancellationToken);

    Task CreateTokenAsync(TokenRecord token, CancellationToken cancellationToken);

    Task<TokenRecord?> GetTokenAsync(string id, CancellationToken cancellationToken);

    /// <summary>The token whose current or rotated-out hash is <paramref name="hash"/>.</summary>
    Task<TokenRecord?> FindTokenByHashAsync(TokenHash hash, CancellationToken cancellationToken);

    /// <summary>The user's own tokens (<see cref="TokenKind.User"/>), revoked ones included, oldest first.</summary>
    Task<IReadOnlyList<TokenRecord>> ListUserTokensAsync(string userId, CancellationToken cancellationToken);

    /// <summary>Scoped tokens of the workspace, or of every workspace when null.</summary>
    Task<IReadOnlyList<TokenRecord>> ListScopedTokensAsync(string? workspaceId, CancellationToken cancellationToken);

    Task UpdateTokenAsync(TokenRecord token, CancellationToken cancellationToken);

    Task CreateWebhookAsync(WebhookRecord webhook, CancellationToken cancellationToken);

    Task<WebhookRecord?> GetWebhookAsync(string id, CancellationToken cancellationToken);

    /// <summary>Webhooks of the workspace, or of every workspace when null.</summary>
    Task<IReadOnlyList<WebhookRecord>> ListWebhooksAsync(string? workspaceId, CancellationToken cancellationToken);

    Task<bool> DeleteWebhookAsync(string id, CancellationToken cancellationToken);

    /// <summary>Writes a webhook's token, devices, keys, pause and rotation; false when it no longer exists.</summary>
    Task<bool> UpdateWebhookAsync(WebhookRecord webhook, CancellationToken cancellationToken);

    Task CreateDecoderAsync(DecoderRecord decoder, CancellationToken cancellationToken);

    Task<DecoderRecord?> GetDecoderAsync(string id, CancellationToken cancellationToken);

    /// <summary>Saves a decoder's name and source (its id, workspace and creation time stay); false when it does not exist.</summary>
    Task<bool> UpdateDecoderAsync(DecoderRecord decoder, CancellationToken cancellationToken);

    /// <summary>Decoders of the workspace, or of every workspace when null.</summary>
    Task<IReadOnlyList<DecoderRecord>> ListDecodersAsync(string? workspaceId, CancellationToken cancellationToken);

    Task SaveConfirmationAsync(DeletionConfirmation confirmation, CancellationToken cancellationToken);

    /// <summary>Consumes the confirmation: true once when it names <paramref name="device"/> and has not expired at <paramref name="at"/>.</summary>
    Task<bool> TakeConfirmationAsync(TokenHash codeHash, DeviceId device, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>Appends one event to its trail (<see cref="AuditEvent.Sequence"/> is assigned by the store).</summary>
    Task AppendAuditAsync(AuditEvent audit, CancellationToken cancellationToken);

    /// <summary>A trail's events newest first: those of <paramref name="trailIds"/> (all of the kind when null) with a sequence below <paramref name="before"/>.</summary>
    Task<IReadOnlyList<AuditEvent>> ListAuditAsync(
        AuditTrailKind trail, IReadOnlyCollection<string>? trailIds, long? before, int limit, CancellationToken cancellationToken);
}
