using Datacake.Streams.Access;
using Datacake.Streams.Api.Access;
using Datacake.Streams.Api.Metadata;
using Datacake.Streams.Problems;

namespace Datacake.Streams.Api.Workspaces;

public sealed record InviteRequest(string? UserId, string? Role);

public sealed record InvitationResponse(string Id, string WorkspaceId, string UserId, string Role);

public sealed record AcceptedResponse(string WorkspaceId, string Role);

public sealed record MemberResponse(string UserId, string Email, string Role);

/// <summary>Explicit invitations (admins and owners invite, up to their own role; the invitee accepts with their own token) and members.</summary>
public static class MembersEndpoints
{
    public static RouteGroupBuilder MapMembersApi(this RouteGroupBuilder v1)
    {
        v1.MapPost("/workspaces/{id}/invitations", InviteAsync);
        v1.MapPost("/invitations/{id}/accept", AcceptAsync);
        v1.MapGet("/workspaces/{id}/members", ListAsync);
        v1.MapDelete("/workspaces/{id}/members/{userId}", RemoveAsync);
        return v1;
    }

    private static async Task<IResult> InviteAsync(
        string id, HttpContext http, IMetadataStore store, AccessGuard guard, TimeProvider time, CancellationToken cancellationToken)
    {
        var caller = http.Caller();
        var reach = await guard.WorkspaceAsync(caller, id, AccessRules.Administer, cancellationToken);
        var body = await JsonBody.ReadAsync<InviteRequest>(http, cancellationToken);
        var role = RoleNames.ParseRole(body.Role, required: true);
        if (!AccessRules.MayGrant(reach.Role, role))
        {
            throw ApiProblem.Forbidden("Nobody can grant a role above their own.");
        }

        if (string.IsNullOrEmpty(body.UserId) || await store.GetUserAsync(body.UserId, cancellationToken) is null)
        {
            throw ApiProblem.NotFound("user");
        }

        var invitation = new InvitationRecord(OpaqueId.New("inv_"), reach.Workspace.Id, body.UserId, role, caller.Identity, time.GetUtcNow(), null);
        await store.CreateInvitationAsync(invitation, cancellationToken);
        return TypedResults.Created(
            $"/v1/invitations/{invitation.Id}",
            new InvitationResponse(invitation.Id, invitation.WorkspaceId, invitation.UserId, RoleNames.Of(role)));
    }

    private static async Task<IResult> AcceptAsync(string id, HttpContext http, IMetadataStore store, TimeProvider time, CancellationToken cancellationToken)
    {
        var caller = http.Caller();
        AccessGuard.RefuseOperator(caller);

        // Only the invitee, with their own token, sees the invitation at all.
        var invitation = await store.GetInvitationAsync(id, cancellationToken);
        if (caller is not UserCaller user || invitation is null || invitation.UserId != user.UserId || invitation.AcceptedAt is not null)
        {
            throw ApiProblem.NotFound("invitation");
        }

        await store.AcceptInvitationAsync(invitation, time.GetUtcNow(), cancellationToken);
        return TypedResults.Ok(new AcceptedResponse(invitation.WorkspaceId, RoleNames.Of(invitation.Role)));
    }

    private static async Task<IResult> ListAsync(string id, HttpContext http, IMetadataStore store, AccessGuard guard, CancellationToken cancellationToken)
    {
        var reach = await guard.WorkspaceAsync(http.Caller(), id, AccessRules.Read, cancellationToken);
        var members = await store.ListMembersAsync(reach.Workspace.Id, cancellationToken);
        return TypedResults.Ok(members.Select(m => new MemberResponse(m.UserId, m.Email, RoleNames.Of(m.Role))).ToArray());
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
}
