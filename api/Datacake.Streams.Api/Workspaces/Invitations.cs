using Datacake.Streams.Access;
using Datacake.Streams.Api.Access;
using Datacake.Streams.Api.Metadata;
using Datacake.Streams.Problems;
using Microsoft.Extensions.Options;

namespace Datacake.Streams.Api.Workspaces;

/// <summary>
/// The life of an explicit invitation: made with an expiry and its inviter's ids, accepted only by the invitee, before
/// it expires, and only while the inviter still holds the right to make it. An invitation is a grant made in the
/// inviter's name: a revoked token or a removed admin must not keep granting through the invitations it left pending.
/// </summary>
public sealed class Invitations(IMetadataStore store, AccessGuard guard, TimeProvider time, IOptions<InvitationOptions> options)
{
    /// <summary>
    /// A new invitation from <paramref name="caller"/> (checked by the endpoint) to a user id or to an e-mail (exactly
    /// one of them), expiring after <see cref="InvitationOptions.Lifetime"/>.
    /// </summary>
    public InvitationRecord New(Caller caller, string workspaceId, string? userId, string? email, WorkspaceRole role)
    {
        var now = time.GetUtcNow();
        return new InvitationRecord(OpaqueId.New("inv_"), workspaceId, userId, role, InviterOf(caller), now, now + options.Value.Lifetime, AcceptedAt: null, email);
    }

    /// <summary>Whether <paramref name="caller"/> is a user the invitation is addressed to (by id, or by their e-mail).</summary>
    public async Task<bool> IsInviteeAsync(Caller caller, InvitationRecord invitation, CancellationToken cancellationToken) =>
        caller is UserCaller user
        && (invitation.UserId == user.UserId
            || (invitation.Email is not null && await store.GetUserAsync(user.UserId, cancellationToken) is { } record && invitation.IsFor(record)));

    /// <summary>
    /// Accepts the invitation for <paramref name="caller"/>, its invitee, or throws the problem: 404 unless the caller
    /// is the invitee (by user id or e-mail) of a pending invitation, 410 <c>invitation-expired</c>, 403 <c>inviter-lost-right</c>. A refusal
    /// grants nothing.
    /// </summary>
    public async Task<InvitationRecord> AcceptAsync(Caller caller, string id, CancellationToken cancellationToken)
    {
        AccessGuard.RefuseOperator(caller);

        // Only the invitee, with their own token, sees the invitation at all (for an e-mail, whoever has that e-mail now).
        var invitation = await store.GetInvitationAsync(id, cancellationToken);
        if (caller is not UserCaller user || invitation is null || invitation.AcceptedAt is not null || !await IsInviteeAsync(caller, invitation, cancellationToken))
        {
            throw ApiProblem.NotFound("invitation");
        }

        var now = time.GetUtcNow();
        if (invitation.IsExpiredAt(now))
        {
            throw new ApiProblem(
                StatusCodes.Status410Gone,
                ProblemTypes.InvitationExpired,
                "The invitation has expired",
                "Ask an admin of the workspace for a new invitation.",
                new Dictionary<string, object?> { ["expiresAt"] = invitation.ExpiresAt });
        }

        if (!await InviterMayStillGrantAsync(invitation, now, cancellationToken))
        {
            throw new ApiProblem(
                StatusCodes.Status403Forbidden,
                ProblemTypes.InviterLostRight,
                "The inviter no longer holds the right to make this invitation",
                "Ask a current admin of the workspace for a new invitation.");
        }

        if (!await store.AcceptInvitationAsync(invitation, user.UserId, now, cancellationToken))
        {
            // Accepted or cancelled between the read and the write.
            throw ApiProblem.NotFound("invitation");
        }

        return invitation with { UserId = user.UserId, AcceptedAt = now };
    }

    /// <summary>
    /// Whether the inviter, as the store holds it now, could make this invitation again: its token (when recorded)
    /// exists and is good at <paramref name="at"/> (not revoked, disabled or expired), its user (when a person) is not
    /// disabled, and the role it holds in the workspace is admin or more and at least the invited role.
    /// </summary>
    public async Task<bool> InviterMayStillGrantAsync(InvitationRecord invitation, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var inviter = await InviterCallerAsync(invitation.InvitedBy, at, cancellationToken);
        if (inviter is null)
        {
            return false;
        }

        var role = AccessRules.RoleIn(inviter, await guard.AncestryAsync(invitation.WorkspaceId, cancellationToken));
        return role >= AccessRules.Administer && AccessRules.MayGrant(role, invitation.Role);
    }

    private static Inviter InviterOf(Caller caller) => caller switch
    {
        UserCaller user => new Inviter(user.UserId, user.TokenId),
        ScopedCaller scoped => new Inviter(null, scoped.Token.Id),
        _ => throw ApiProblem.OperatorForbidden(),
    };

    /// <summary>The inviter as a caller with its rights of now; null when its token is gone or no longer good.</summary>
    private async Task<Caller?> InviterCallerAsync(Inviter inviter, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var userId = inviter.UserId;
        var tokenId = string.Empty;
        if (inviter.TokenId is { } id)
        {
            var token = await store.GetTokenAsync(id, cancellationToken);

            // The token's own current hash: asks whether the token itself is still good, whichever secret was used.
            if (token is null || AccessRules.Status(token, token.Hash, at) != AuthenticationResult.Ok)
            {
                return null;
            }

            if (token.Kind == TokenKind.Scoped)
            {
                return new ScopedCaller(token);
            }

            if (userId is not null && token.OwnerUserId != userId)
            {
                return null;
            }

            userId = token.OwnerUserId;
            tokenId = token.Id;
        }

        // A user the operator disabled (offboarded) invites no more, as none of their tokens is accepted (CallerResolver).
        if (userId is null || await store.GetUserAsync(userId, cancellationToken) is not { DisabledAt: null })
        {
            return null;
        }

        var memberships = await store.ListMembershipsOfUserAsync(userId, cancellationToken);
        return new UserCaller(userId, tokenId, memberships.ToDictionary(m => m.WorkspaceId, m => m.Role, StringComparer.Ordinal));
    }
}
