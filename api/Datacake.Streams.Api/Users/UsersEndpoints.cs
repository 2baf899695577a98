using Datacake.Streams.Access;
using Datacake.Streams.Api.Access;
using Datacake.Streams.Api.Metadata;
using Datacake.Streams.Problems;
using Microsoft.Data.Sqlite;

namespace Datacake.Streams.Api.Users;

public sealed record CreateUserRequest(string? Email);

public sealed record CreatedUserResponse(string Id, string Token);

/// <summary>A new user token, its secret shown once: <c>userId</c> is whose it is, <c>id</c> the token's own id.</summary>
public sealed record IssuedUserTokenResponse(string Id, string UserId, string Token);

/// <summary>A user as the operator sees it after offboarding or onboarding again: no e-mail, no workspace.</summary>
public sealed record UserStateResponse(string Id, DateTimeOffset? DisabledAt);

public sealed record MeWorkspace(string Id, string Name, string? ParentId, string Role);

public sealed record MeResponse(string Kind, string? Id, string? Email, string? HomeWorkspaceId, IReadOnlyList<MeWorkspace> Workspaces);

/// <summary>
/// The operator's side of people (create, issue a new user token, disable and enable: never any workspace data) and
/// <c>GET /v1/me</c>.
/// </summary>
public static class UsersEndpoints
{
    public static RouteGroupBuilder MapUsersApi(this RouteGroupBuilder v1)
    {
        v1.MapPost("/users", CreateAsync);
        v1.MapPost("/users/{id}/tokens", IssueTokenAsync);
        v1.MapPost("/users/{id}/disable", DisableAsync);
        v1.MapPost("/users/{id}/enable", EnableAsync);
        v1.MapGet("/me", MeAsync);
        return v1;
    }

    private static async Task<IResult> CreateAsync(HttpContext http, IMetadataStore store, TimeProvider time, CancellationToken cancellationToken)
    {
        RequireOperator(http, "Only the operator creates users.");
        var body = await JsonBody.ReadAsync<CreateUserRequest>(http, cancellationToken);
        var email = EmailAddress.Parse(body.Email) ?? throw ApiProblem.Invalid("email must be an e-mail address.");

        var now = time.GetUtcNow();
        var user = new UserRecord(OpaqueId.New("usr_"), email, now);
        var (token, secret) = NewUserToken(user.Id, now);
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

    /// <summary>
    /// A new token for an existing user, e.g. after the user revoked the last one: the way back in goes through the
    /// operator, who gets a secret that acts as the user (handed over, never kept) and no reach of its own.
    /// </summary>
    private static async Task<IResult> IssueTokenAsync(string id, HttpContext http, IMetadataStore store, TimeProvider time, CancellationToken cancellationToken)
    {
        RequireOperator(http, "Only the operator issues a user token; a user rotates their own.");
        _ = await store.GetUserAsync(id, cancellationToken) ?? throw ApiProblem.NotFound("user");
        var (token, secret) = NewUserToken(id, time.GetUtcNow());
        await store.CreateTokenAsync(token, cancellationToken);
        return TypedResults.Created($"/v1/tokens/{token.Id}", new IssuedUserTokenResponse(token.Id, id, secret.Secret));
    }

    /// <summary>
    /// Offboarding: from the next request on, no token of the user is accepted (each request reads the store, and user
    /// tokens are no ingest credential, so nothing else holds them). Memberships stay, so enabling restores them.
    /// </summary>
    private static async Task<IResult> DisableAsync(string id, HttpContext http, IMetadataStore store, TimeProvider time, CancellationToken cancellationToken) =>
        await SetDisabledAsync(id, http, store, time.GetUtcNow(), cancellationToken);

    private static async Task<IResult> EnableAsync(string id, HttpContext http, IMetadataStore store, CancellationToken cancellationToken) =>
        await SetDisabledAsync(id, http, store, null, cancellationToken);

    private static async Task<IResult> SetDisabledAsync(string id, HttpContext http, IMetadataStore store, DateTimeOffset? at, CancellationToken cancellationToken)
    {
        RequireOperator(http, "Only the operator disables and enables users.");
        if (!await store.SetUserDisabledAsync(id, at, cancellationToken))
        {
            throw ApiProblem.NotFound("user");
        }

        var user = await store.GetUserAsync(id, cancellationToken) ?? throw ApiProblem.NotFound("user");
        return TypedResults.Ok(new UserStateResponse(user.Id, user.DisabledAt));
    }

    private static void RequireOperator(HttpContext http, string detail)
    {
        if (http.Caller() is not OperatorCaller)
        {
            throw ApiProblem.Forbidden(detail);
        }
    }

    /// <summary>A person's own token: no workspace and no role of its own, the user's memberships decide (read per request).</summary>
    private static (TokenRecord Token, AccessToken Secret) NewUserToken(string userId, DateTimeOffset now)
    {
        var secret = AccessToken.New();
        var token = new TokenRecord
        {
            Id = OpaqueId.New("tok_"),
            Kind = TokenKind.User,
            Hash = secret.Hash,
            Name = "user token",
            OwnerUserId = userId,
            CreatedBy = OperatorCaller.Instance.Identity,
            CreatedAt = now,
        };
        return (token, secret);
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
