using Datacake.Streams.Access;
using Datacake.Streams.Api.Access;
using Datacake.Streams.Api.Metadata;
using Datacake.Streams.Api.Users;
using Datacake.Streams.Problems;

namespace Datacake.Streams.Api.Workspaces;

public sealed record CreateWorkspaceRequest(string? Name, string? ParentId);

public sealed record WorkspaceResponse(string Id, string Name, string? ParentId, string Role);

/// <summary><c>/v1/workspaces</c>: create (a root of one's own, or a sub-workspace), list, get.</summary>
public static class WorkspacesEndpoints
{
    public const int MaxNameLength = 200;

    public static RouteGroupBuilder MapWorkspacesApi(this RouteGroupBuilder v1)
    {
        v1.MapPost("/workspaces", CreateAsync);
        v1.MapGet("/workspaces", ListAsync);
        v1.MapGet("/workspaces/{id}", GetAsync);
        return v1;
    }

    public static string ValidName(string? name, string field = "name")
    {
        var trimmed = name?.Trim();
        return string.IsNullOrEmpty(trimmed) || trimmed.Length > MaxNameLength
            ? throw ApiProblem.Invalid($"{field} must be 1 to {MaxNameLength} characters.")
            : trimmed;
    }

    private static async Task<IResult> CreateAsync(
        HttpContext http, IMetadataStore store, AccessGuard guard, RegistryMirror registry, TimeProvider time, CancellationToken cancellationToken)
    {
        var caller = http.Caller();
        AccessGuard.RefuseOperator(caller);
        var body = await JsonBody.ReadAsync<CreateWorkspaceRequest>(http, cancellationToken);
        var name = ValidName(body.Name);
        WorkspaceRecord workspace;
        WorkspaceRole role;
        if (string.IsNullOrEmpty(body.ParentId))
        {
            if (caller is not UserCaller user)
            {
                throw ApiProblem.Forbidden("A token makes sub-workspaces only; a new top-level workspace belongs to a user.");
            }

            workspace = new WorkspaceRecord(OpaqueId.New("ws_"), name, null, time.GetUtcNow());
            role = WorkspaceRole.Owner;
            await store.CreateWorkspaceAsync(workspace, new MembershipRecord(workspace.Id, user.UserId, role), cancellationToken);
        }
        else
        {
            var parent = await guard.WorkspaceAsync(caller, body.ParentId, AccessRules.Administer, cancellationToken);
            if (parent.Ancestry.Count >= AccessGuard.MaxDepth)
            {
                throw ApiProblem.Conflict(ProblemTypes.WorkspaceTooDeep, "Workspace tree too deep", $"Workspaces nest at most {AccessGuard.MaxDepth} deep.");
            }

            workspace = new WorkspaceRecord(OpaqueId.New("ws_"), name, parent.Workspace.Id, time.GetUtcNow());
            role = parent.Role;
            await store.CreateWorkspaceAsync(workspace, null, cancellationToken);
        }

        await registry.PublishAsync(workspace, null, cancellationToken);
        return TypedResults.Created($"/v1/workspaces/{workspace.Id}", ToResponse(workspace, role));
    }

    private static async Task<IResult> ListAsync(HttpContext http, IMetadataStore store, CancellationToken cancellationToken)
    {
        var caller = http.Caller();
        AccessGuard.RefuseOperator(caller);
        IReadOnlyCollection<string> roots = caller switch
        {
            UserCaller user => [.. user.Memberships.Keys],
            ScopedCaller { Token: { WorkspaceId: { } home, Role: > WorkspaceRole.None } } => [home],
            _ => [],
        };
        var listed = await store.ListSubtreesAsync(roots, cancellationToken);
        return TypedResults.Ok(listed.Select(w => ToResponse(w, AccessRules.RoleIn(caller, AccessRules.Ancestry(w, listed)))).ToArray());
    }

    private static async Task<IResult> GetAsync(string id, HttpContext http, AccessGuard guard, CancellationToken cancellationToken)
    {
        var reach = await guard.WorkspaceAsync(http.Caller(), id, AccessRules.Read, cancellationToken);
        return TypedResults.Ok(ToResponse(reach.Workspace, reach.Role));
    }

    private static WorkspaceResponse ToResponse(WorkspaceRecord workspace, WorkspaceRole role) =>
        new(workspace.Id, workspace.Name, workspace.ParentId, RoleNames.Of(role));
}
