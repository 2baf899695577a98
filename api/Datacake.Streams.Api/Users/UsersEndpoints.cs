using Datacake.Streams.Access;
using Datacake.Streams.Api.Access;
using Datacake.Streams.Api.Metadata;
using Datacake.Streams.Problems;
using Microsoft.Data.Sqlite;

namespace Datacake.Streams.Api.Users;

public sealed record CreateUserRequest(string? Email);

public sealed record CreatedUserResponse(string Id, string Token);

public sealed record MeWorkspace(string Id, string Name, string? ParentId, string Role);

public sealed record MeResponse(string Kind, string? Id, string? Email, string? HomeWorkspaceId, IReadOnlyList<MeWorkspace> Workspaces);

/// <summary><c>POST /v1/users</c> (operator only) and <c>GET /v1/me</c>.</summary>
public static class UsersEndpoints
{
    private const int MaxEmailLength = 254;

    public static RouteGroupBuilder MapUsersApi(this RouteGroupBuilder v1)
    {
        v1.MapPost("/users", CreateAsync);
        v1.MapGet("/me", MeAsync);
        return v1;
    }

    private static async Task<IResult> CreateAsync(HttpContext http, IMetadataStore store, TimeProvider time, CancellationToken cancellationToken)
    {
        if (http.Caller() is not OperatorCaller)
        {
            throw ApiProblem.Forbidden("Only the operator creates users.");
        }

        var body = await JsonBody.ReadAsync<CreateUserRequest>(http, cancellationToken);
        var email = body.Email?.Trim();
        if (string.IsNullOrEmpty(email) || email.Length > MaxEmailLength || email.IndexOf('@', StringComparison.Ordinal) is <= 0 || email.EndsWith('@'))
        {
            throw ApiProblem.Invalid("email must be an e-mail address.");
        }

        var now = time.GetUtcNow();
        var user = new UserRecord(OpaqueId.New("usr_"), email, now);
        var secret = AccessToken.New();
        var token = new TokenRecord
        {
            Id = OpaqueId.New("tok_"),
            Kind = TokenKind.User,
            Hash = secret.Hash,
            Name = "user token",
            OwnerUserId = user.Id,
            CreatedBy = OperatorCaller.Instance.Identity,
            CreatedAt = now,
        };
        try
        {
            await store.CreateUserAsync(user, token, cancellationToken);
        }
        catch (SqliteException e) when (e.SqliteErrorCode == 19)
        {
            throw ApiProblem.Conflict(ProblemTypes.EmailTaken, "A user with this e-mail exists", "E-mail addresses are unique.");
        }

        return TypedResults.Created($"/v1/users/{user.Id}", new CreatedUserResponse(user.Id, secret.Secret));
    }

    private static async Task<IResult> MeAsync(HttpContext http, IMetadataStore store, RegistryMirror registry, TimeProvider time, CancellationToken cancellationToken)
    {
        switch (http.Caller())
        {
            case OperatorCaller:
                return TypedResults.Ok(new MeResponse("operator", null, null, null, []));
            case ScopedCaller scoped:
                var workspaces = scoped.Token is { WorkspaceId: { } home, Role: > WorkspaceRole.None }
                    ? await store.ListSubtreesAsync([home], cancellationToken)
                    : [];
                return TypedResults.Ok(new MeResponse(
                    "token",
                    scoped.Token.Id,
                    null,
                    null,
                    [.. workspaces.Select(w => new MeWorkspace(w.Id, w.Name, w.ParentId, RoleNames.Of(scoped.Token.Role)))]));
            case UserCaller user:
                var person = await store.GetUserAsync(user.UserId, cancellationToken) ?? throw ApiProblem.Unauthenticated();
                var candidate = new WorkspaceRecord(OpaqueId.New("ws_"), "My workspace", null, time.GetUtcNow());
                var homeId = await store.EnsureHomeWorkspaceAsync(user.UserId, candidate, cancellationToken);
                if (homeId == candidate.Id)
                {
                    await registry.PublishAsync(candidate, null, cancellationToken);
                }

                var memberships = await store.ListMembershipsOfUserAsync(user.UserId, cancellationToken);
                var roles = memberships.ToDictionary(m => m.WorkspaceId, m => m.Role, StringComparer.Ordinal);
                var reachable = await store.ListSubtreesAsync(roles.Keys, cancellationToken);
                var fresh = user with { Memberships = roles };
                return TypedResults.Ok(new MeResponse(
                    "user",
                    person.Id,
                    person.Email,
                    homeId,
                    [.. reachable.Select(w => new MeWorkspace(w.Id, w.Name, w.ParentId, RoleNames.Of(AccessRules.RoleIn(fresh, AccessRules.Ancestry(w, reachable)))))]));
            default:
                throw ApiProblem.Unauthenticated();
        }
    }
}
