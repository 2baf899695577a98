using System.Text.Json.Serialization;
using Datacake.Streams.Access;
using Datacake.Streams.Api.Access;
using Datacake.Streams.Api.Metadata;
using Datacake.Streams.Api.Users;
using Datacake.Streams.Problems;

namespace Datacake.Streams.Api.Workspaces;

/// <summary>An invitation to a user id or to an e-mail: exactly one of the two.</summary>
public sealed record InviteRequest(string? UserId, string? Email, string? Role);

public sealed record ChangeRoleRequest(string? Role);

/// <summary>Who invited: ids only, never a secret (a scoped token has no user id).</summary>
public sealed record InviterResponse(string? UserId, string? TokenId);

/// <summary>
/// An invitation as its workspace's admins see it: to <c>userId</c> or to <c>email</c> (the other absent; an e-mail
/// invitation never says whether, or which, user has the e-mail); <c>status</c> is <c>pending</c> or <c>expired</c>.
/// </summary>
public sealed record InvitationResponse(
    string Id,
    string WorkspaceId,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? UserId,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Email,
    string Role,
    InviterResponse InvitedBy,
    DateTimeOffset CreatedAt,
    DateTimeOffset ExpiresAt,
    string Status);

/// <summary>An invitation as its invitee sees it (<c>GET /v1/me/invitations</c>): which workspace, by name, and the role offered.</summary>
public sealed record MyInvitationResponse(string Id, string WorkspaceId, string WorkspaceName, string Role, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt, string Status);

public sealed record AcceptedResponse(string WorkspaceId, string Role);

/// <summary>A member; the e-mail only for the workspace's admins and owners signed in as themselves, else absent.</summary>
public sealed record MemberResponse(
    string UserId,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Email,
    string Role);

/// <summary>
/// Explicit invitations (admins and owners invite a user id or an e-mail, up to their own role; list and cancel the
/// pending ones; the invitee lists theirs and accepts with their own token while the invitation lasts and its inviter
/// still holds the right) and members (list, change a role, remove, leave).
/// </summary>
public static class MembersEndpoints
{
    public static RouteGroupBuilder MapMembersApi(this RouteGroupBuilder v1)
    {
        v1.MapPost("/workspaces/{id}/invitations", InviteAsync);
        v1.MapGet("/workspaces/{id}/invitations", ListInvitationsAsync);
        v1.MapDelete("/invitations/{id}", CancelAsync);
        v1.MapPost("/invitations/{id}/accept", AcceptAsync);
        v1.MapGet("/me/invitations", ListMineAsync);
        v1.MapGet("/workspaces/{id}/members", ListAsync);
        v1.MapPatch("/workspaces/{id}/members/{userId}", ChangeRoleAsync);
        v1.MapDelete("/workspaces/{id}/members/{userId}", RemoveAsync);
        return v1;
    }

    private static async Task<IResult> InviteAsync(
        string id, HttpContext http, IMetadataStore store, AccessGuard guard, Invitations invitations, TimeProvider time, CancellationToken cancellationToken)
    {
        var caller = http.Caller();
        var reach = await guard.WorkspaceAsync(caller, id, AccessRules.Administer, cancellationToken);
        var body = await JsonBody.ReadAsync<InviteRequest>(http, cancellationToken);
        var role = RoleNames.ParseRole(body.Role, required: true);
        if (!AccessRules.MayGrant(reach.Role, role))
        {
            throw ApiProblem.Forbidden("Nobody can grant a role above their own.");
        }

        if (body.UserId is not null && body.Email is not null)
        {
            throw ApiProblem.Invalid("Invite either a userId or an email, not both.");
        }

        // By e-mail the answer is the same whether a user has the e-mail or not (and in whichever tenant): the
        // invitation waits for whoever has or gets it. By id, the id names an existing user or the answer is 404.
        string? email = null;
        if (body.Email is not null)
        {
            email = EmailAddress.Parse(body.Email) ?? throw ApiProblem.Invalid("email must be an e-mail address.");
        }
        else if (string.IsNullOrEmpty(body.UserId) || await store.GetUserAsync(body.UserId, cancellationToken) is null)
        {
            throw ApiProblem.NotFound("user");
        }

        var invitation = invitations.New(caller, reach.Workspace.Id, email is null ? body.UserId : null, email, role);
        await store.CreateInvitationAsync(invitation, cancellationToken);
        return TypedResults.Created($"/v1/invitations/{invitation.Id}", ToResponse(invitation, time.GetUtcNow()));
    }

    private static async Task<IResult> ListInvitationsAsync(
        string id, HttpContext http, IMetadataStore store, AccessGuard guard, TimeProvider time, CancellationToken cancellationToken)
    {
        var reach = await guard.WorkspaceAsync(http.Caller(), id, AccessRules.Administer, cancellationToken);
        var pending = await store.ListPendingInvitationsAsync(reach.Workspace.Id, cancellationToken);
        var now = time.GetUtcNow();
        return TypedResults.Ok(pending.Select(i => ToResponse(i, now)).ToArray());
    }

    private static async Task<IResult> CancelAsync(
        string id, HttpContext http, IMetadataStore store, AccessGuard guard, Invitations invitations, CancellationToken cancellationToken)
    {
        var caller = http.Caller();
        AccessGuard.RefuseOperator(caller);
        var invitation = await store.GetInvitationAsync(id, cancellationToken);
        if (invitation is null || invitation.AcceptedAt is not null)
        {
            throw ApiProblem.NotFound("invitation");
        }

        // The invitee may decline; admins and owners cancel up to their own role. Whoever reaches neither answers as
        // for an unknown id: another tenant learns nothing of the invitation (not even its workspace).
        var declining = await invitations.IsInviteeAsync(caller, invitation, cancellationToken);
        if (!declining)
        {
            var role = AccessRules.RoleIn(caller, await guard.AncestryAsync(invitation.WorkspaceId, cancellationToken));
            if (role == WorkspaceRole.None)
            {
                throw ApiProblem.NotFound("invitation");
            }

            if (!AccessRules.MayRemove(role, invitation.Role))
            {
                throw ApiProblem.Forbidden("Admins and owners cancel invitations, up to their own role.");
            }
        }

        if (!await store.CancelInvitationAsync(invitation.Id, cancellationToken))
        {
            throw ApiProblem.NotFound("invitation");
        }

        return TypedResults.NoContent();
    }

    private static async Task<IResult> AcceptAsync(string id, HttpContext http, Invitations invitations, CancellationToken cancellationToken)
    {
        var invitation = await invitations.AcceptAsync(http.Caller(), id, cancellationToken);
        return TypedResults.Ok(new AcceptedResponse(invitation.WorkspaceId, RoleNames.Of(invitation.Role)));
    }

    private static async Task<IResult> ListMineAsync(HttpContext http, IMetadataStore store, TimeProvider time, CancellationToken cancellationToken)
    {
        var caller = http.Caller();
        AccessGuard.RefuseOperator(caller);
        if (caller is not UserCaller user || await store.GetUserAsync(user.UserId, cancellationToken) is not { } me)
        {
            throw ApiProblem.Forbidden("Only a user's own token lists the invitations to that user.");
        }

        var pending = await store.ListPendingInvitationsForAsync(me, cancellationToken);
        var now = time.GetUtcNow();
        var listed = new List<MyInvitationResponse>(pending.Count);
        foreach (var invitation in pending)
        {
            // The name is what the invitee needs to decide; nothing else of the workspace is shown before acceptance.
            var name = (await store.GetWorkspaceAsync(invitation.WorkspaceId, cancellationToken))?.Name ?? string.Empty;
            listed.Add(new MyInvitationResponse(
                invitation.Id, invitation.WorkspaceId, name, RoleNames.Of(invitation.Role), invitation.CreatedAt, invitation.ExpiresAt, invitation.IsExpiredAt(now) ? "expired" : "pending"));
        }

        return TypedResults.Ok(listed);
    }

    private static async Task<IResult> ListAsync(string id, HttpContext http, IMetadataStore store, AccessGuard guard, CancellationToken cancellationToken)
    {
        var caller = http.Caller();
        var reach = await guard.WorkspaceAsync(caller, id, AccessRules.Read, cancellationToken);
        var members = await store.ListMembersAsync(reach.Workspace.Id, cancellationToken);

        // An e-mail is personal data: only a person administering the workspace sees it. A scoped token (on a device,
        // in a script) is no person, whatever its role; viewers and editors need the ids and roles only.
        // Without e-mails the order is by id too: the store's order by e-mail would let a viewer sort members by it.
        var showEmails = caller is UserCaller && reach.Role >= AccessRules.Administer;
        IEnumerable<MemberRecord> listed = showEmails ? members : members.OrderBy(m => m.UserId, StringComparer.Ordinal);
        return TypedResults.Ok(listed.Select(m => new MemberResponse(m.UserId, showEmails ? m.Email : null, RoleNames.Of(m.Role))).ToArray());
    }

    private static async Task<IResult> ChangeRoleAsync(
        string id, string userId, HttpContext http, IMetadataStore store, AccessGuard guard, CancellationToken cancellationToken)
    {
        var caller = http.Caller();
        var reach = await guard.WorkspaceAsync(caller, id, AccessRules.Administer, cancellationToken);
        var body = await JsonBody.ReadAsync<ChangeRoleRequest>(http, cancellationToken);
        var role = RoleNames.ParseRole(body.Role, required: true);
        var members = await store.ListMembersAsync(reach.Workspace.Id, cancellationToken);
        var target = members.FirstOrDefault(m => m.UserId == userId) ?? throw ApiProblem.NotFound("member");

        // As for invitations and removals: nobody touches a role above their own, nor grants one.
        if (!AccessRules.MayRemove(reach.Role, target.Role) || !AccessRules.MayGrant(reach.Role, role))
        {
            throw ApiProblem.Forbidden("Admins and owners change roles up to their own role.");
        }

        switch (await store.SetMemberRoleAsync(reach.Workspace.Id, userId, role, cancellationToken))
        {
            case RoleChange.NotMember:
                throw ApiProblem.NotFound("member");
            case RoleChange.LastOwner:
                throw ApiProblem.Conflict(ProblemTypes.LastOwner, "The last owner cannot be given another role", "Make another member owner first.");
        }

        var showEmail = caller is UserCaller;
        return TypedResults.Ok(new MemberResponse(userId, showEmail ? target.Email : null, RoleNames.Of(role)));
    }

    private static async Task<IResult> RemoveAsync(
        string id, string userId, HttpContext http, IMetadataStore store, AccessGuard guard, CancellationToken cancellationToken)
    {
        var caller = http.Caller();
        var reach = await guard.WorkspaceAsync(caller, id, AccessRules.Read, cancellationToken);
        var members = await store.ListMembersAsync(reach.Workspace.Id, cancellationToken);
        var target = members.FirstOrDefault(m => m.UserId == userId) ?? throw ApiProblem.NotFound("member");
        var leaving = caller is UserCaller user && user.UserId == userId;
        if (!leaving && !AccessRules.MayRemove(reach.Role, target.Role))
        {
            throw ApiProblem.Forbidden("Admins and owners remove members, up to their own role.");
        }

        if (target.Role == WorkspaceRole.Owner && members.Count(m => m.Role == WorkspaceRole.Owner) == 1)
        {
            throw ApiProblem.Conflict(ProblemTypes.LastOwner, "The last owner cannot be removed", "Make another member owner first.");
        }

        await store.RemoveMembershipAsync(reach.Workspace.Id, userId, cancellationToken);
        return TypedResults.NoContent();
    }

    private static InvitationResponse ToResponse(InvitationRecord invitation, DateTimeOffset now) => new(
        invitation.Id,
        invitation.WorkspaceId,
        invitation.UserId,
        invitation.Email,
        RoleNames.Of(invitation.Role),
        new InviterResponse(invitation.InvitedBy.UserId, invitation.InvitedBy.TokenId),
        invitation.CreatedAt,
        invitation.ExpiresAt,
        invitation.IsExpiredAt(now) ? "expired" : "pending");
}
