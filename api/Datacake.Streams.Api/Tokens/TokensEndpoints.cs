using Datacake.Streams.Access;
using Datacake.Streams.Api.Access;
using Datacake.Streams.Api.Metadata;
using Datacake.Streams.Api.Workspaces;
using Datacake.Streams.Problems;

namespace Datacake.Streams.Api.Tokens;

public sealed record DeviceGrantRequest(string? Id, string? Access);

public sealed record CreateTokenRequest(string? Name, string? Role, IReadOnlyList<DeviceGrantRequest>? Devices, DateTimeOffset? ExpiresAt);

public sealed record DeviceTokenRequest(string? Name, DateTimeOffset? ExpiresAt);

public sealed record RotateRequest(int? GraceSeconds);

public sealed record DeviceGrantResponse(string Id, string Access);

/// <summary>A token without its secret. <c>kind</c> is <c>user</c> (a person's own, no workspace) or <c>scoped</c>.</summary>
public sealed record TokenResponse(
    string Id,
    string Kind,
    string Name,
    string? WorkspaceId,
    string? Role,
    IReadOnlyList<DeviceGrantResponse> Devices,
    DateTimeOffset? ExpiresAt,
    DateTimeOffset? DisabledAt,
    DateTimeOffset? RevokedAt,
    DateTimeOffset CreatedAt);

/// <summary>The secret, shown once, in the answer to the call that made it.</summary>
public sealed record TokenSecretResponse(string Id, string Token, string Name, string? Role, IReadOnlyList<DeviceGrantResponse> Devices, DateTimeOffset? ExpiresAt);

/// <summary>
/// Scoped tokens: create (workspace or one device), list without secrets. Every token, scoped or a user's own: rotate,
/// disable, revoke, on the same paths; a user's own tokens only by that user (<c>GET /v1/me/tokens</c> lists them).
/// </summary>
public static class TokensEndpoints
{
    /// <summary>A rotated-out secret works at most this long: a day is enough to roll a fleet over.</summary>
    public const int MaxGraceSeconds = 86_400;

    public static RouteGroupBuilder MapTokensApi(this RouteGroupBuilder v1)
    {
        v1.MapPost("/workspaces/{id}/tokens", CreateAsync);
        v1.MapGet("/workspaces/{id}/tokens", ListAsync);
        v1.MapPost("/devices/{id}/tokens", CreateForDeviceAsync);
        v1.MapGet("/me/tokens", ListMineAsync);
        v1.MapPost("/tokens/{id}/rotate", RotateAsync);
        v1.MapPost("/tokens/{id}/disable", DisableAsync);
        v1.MapDelete("/tokens/{id}", RevokeAsync);
        return v1;
    }

    private static async Task<IResult> CreateAsync(
        string id,
        HttpContext http,
        IMetadataStore store,
        AccessGuard guard,
        GrantableDevices grantable,
        RegistryMirror registry,
        TimeProvider time,
        CancellationToken cancellationToken)
    {
        var caller = http.Caller();
        var reach = await guard.WorkspaceAsync(caller, id, AccessRules.Administer, cancellationToken);
        var body = await JsonBody.ReadAsync<CreateTokenRequest>(http, cancellationToken);
        var role = RoleNames.ParseRole(body.Role, required: false);
        if (!AccessRules.MayGrant(reach.Role, role))
        {
            throw ApiProblem.Forbidden("A token never grants more than its creator holds.");
        }

        var devices = await grantable.CheckAsync(
            caller, reach, (body.Devices ?? []).Select(d => (d.Id, RoleNames.ParseAccess(d.Access))), cancellationToken);
        if (role == WorkspaceRole.None && devices.Count == 0)
        {
            throw ApiProblem.Invalid("A token needs a role or at least one device.");
        }

        var now = time.GetUtcNow();
        if (body.ExpiresAt is { } expires && expires <= now)
        {
            throw ApiProblem.Invalid("expiresAt must be in the future.");
        }

        return await IssueAsync(store, registry, caller, reach.Workspace.Id, WorkspacesEndpoints.ValidName(body.Name), role, devices, body.ExpiresAt, now, cancellationToken);
    }

    private static async Task<IResult> CreateForDeviceAsync(
        string id, HttpContext http, IMetadataStore store, AccessGuard guard, RegistryMirror registry, TimeProvider time, CancellationToken cancellationToken)
    {
        var caller = http.Caller();
        var reach = await guard.DeviceAsync(caller, id, includeDeleted: false, cancellationToken);
        AccessGuard.RequireRole(reach.Role, AccessRules.Administer);
        var body = http.Request.ContentLength is > 0 || http.Request.Headers.TransferEncoding.Count > 0
            ? await JsonBody.ReadAsync<DeviceTokenRequest>(http, cancellationToken)
            : new DeviceTokenRequest(null, null);
        var name = body.Name is null ? $"{reach.Device.Name} (device token)" : WorkspacesEndpoints.ValidName(body.Name);
        var now = time.GetUtcNow();
        if (body.ExpiresAt is { } expires && expires <= now)
        {
            throw ApiProblem.Invalid("expiresAt must be in the future.");
        }

        return await IssueAsync(
            store, registry, caller, reach.Device.WorkspaceId, name, WorkspaceRole.None, [new DeviceGrant(reach.Device.Id, DeviceAccess.ReadWrite)], body.ExpiresAt, now, cancellationToken);
    }

    private static async Task<IResult> ListAsync(string id, HttpContext http, IMetadataStore store, AccessGuard guard, CancellationToken cancellationToken)
    {
        var reach = await guard.WorkspaceAsync(http.Caller(), id, AccessRules.Administer, cancellationToken);
        var tokens = await store.ListScopedTokensAsync(reach.Workspace.Id, cancellationToken);
        return TypedResults.Ok(tokens.Select(ToResponse).ToArray());
    }

    private static async Task<IResult> ListMineAsync(HttpContext http, IMetadataStore store, CancellationToken cancellationToken)
    {
        var caller = http.Caller();
        AccessGuard.RefuseOperator(caller);
        if (caller is not UserCaller user)
        {
            throw ApiProblem.Forbidden("Only a user's own token lists that user's tokens; a scoped token is listed by its workspace.");
        }

        var tokens = await store.ListUserTokensAsync(user.UserId, cancellationToken);
        return TypedResults.Ok(tokens.Select(ToResponse).ToArray());
    }

    private static async Task<IResult> RotateAsync(
        string id, HttpContext http, IMetadataStore store, AccessGuard guard, RegistryMirror registry, TimeProvider time, CancellationToken cancellationToken)
    {
        var token = await ManagedAsync(http.Caller(), id, store, guard, cancellationToken);
        var body = http.Request.ContentLength is > 0 || http.Request.Headers.TransferEncoding.Count > 0
            ? await JsonBody.ReadAsync<RotateRequest>(http, cancellationToken)
            : new RotateRequest(null);
        var grace = body.GraceSeconds ?? 0;
        if (grace is < 0 or > MaxGraceSeconds)
        {
            throw ApiProblem.Invalid($"graceSeconds must be between 0 and {MaxGraceSeconds}.");
        }

        var secret = AccessToken.New();
        var rotated = token with { Hash = secret.Hash, Rotation = new TokenRotation(token.Hash, time.GetUtcNow().AddSeconds(grace)) };
        await store.UpdateTokenAsync(rotated, cancellationToken);
        await registry.PublishAsync(rotated, cancellationToken);
        return TypedResults.Ok(ToSecretResponse(rotated, secret));
    }

    private static async Task<IResult> DisableAsync(
        string id, HttpContext http, IMetadataStore store, AccessGuard guard, RegistryMirror registry, TimeProvider time, CancellationToken cancellationToken)
    {
        var token = await ManagedAsync(http.Caller(), id, store, guard, cancellationToken);
        if (token.DisabledAt is null)
        {
            token = token with { DisabledAt = time.GetUtcNow() };
            await store.UpdateTokenAsync(token, cancellationToken);
            await registry.PublishAsync(token, cancellationToken);
        }

        return TypedResults.Ok(ToResponse(token));
    }

    private static async Task<IResult> RevokeAsync(
        string id, HttpContext http, IMetadataStore store, AccessGuard guard, RegistryMirror registry, TimeProvider time, CancellationToken cancellationToken)
    {
        var token = await ManagedAsync(http.Caller(), id, store, guard, cancellationToken, allowRevoked: true);
        if (token.RevokedAt is null)
        {
            token = token with { RevokedAt = time.GetUtcNow() };
            await store.UpdateTokenAsync(token, cancellationToken);
            await registry.PublishAsync(token, cancellationToken);
        }

        return TypedResults.NoContent();
    }

    private static async Task<IResult> IssueAsync(
        IMetadataStore store,
        RegistryMirror registry,
        Caller caller,
        string workspaceId,
        string name,
        WorkspaceRole role,
        IReadOnlyList<DeviceGrant> devices,
        DateTimeOffset? expiresAt,
        DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        var secret = AccessToken.New();
        var token = new TokenRecord
        {
            Id = OpaqueId.New("tok_"),
            Kind = TokenKind.Scoped,
            Hash = secret.Hash,
            Name = name,
            WorkspaceId = workspaceId,
            Role = role,
            Devices = [.. devices],
            ExpiresAt = expiresAt,
            CreatedBy = caller.Identity,
            CreatedAt = now,
        };
        await store.CreateTokenAsync(token, cancellationToken);
        await registry.PublishAsync(token, cancellationToken);
        return TypedResults.Created($"/v1/tokens/{token.Id}", ToSecretResponse(token, secret));
    }

    /// <summary>
    /// A token the caller may manage: a user's own token by that user alone (anyone else, an owner of a workspace the
    /// user is a member of included, learns nothing of it: 404; an owner cuts a member's access by removing the
    /// membership); a scoped token by an admin of its workspace holding at least the token's role.
    /// </summary>
    private static async Task<TokenRecord> ManagedAsync(
        Caller caller, string id, IMetadataStore store, AccessGuard guard, CancellationToken cancellationToken, bool allowRevoked = false)
    {
        AccessGuard.RefuseOperator(caller);
        var token = await store.GetTokenAsync(id, cancellationToken);
        if (token is { Kind: TokenKind.User })
        {
            return caller is UserCaller user && user.UserId == token.OwnerUserId
                ? Unrevoked(token, allowRevoked)
                : throw ApiProblem.NotFound("token");
        }

        if (token is not { Kind: TokenKind.Scoped, WorkspaceId: { } workspaceId })
        {
            throw ApiProblem.NotFound("token");
        }

        WorkspaceInReach reach;
        try
        {
            reach = await guard.WorkspaceAsync(caller, workspaceId, AccessRules.Administer, cancellationToken);
        }
        catch (ApiProblem problem) when (problem.Status == StatusCodes.Status404NotFound)
        {
            throw ApiProblem.NotFound("token");
        }

        if (!AccessRules.MayGrant(reach.Role, token.Role))
        {
            throw ApiProblem.Forbidden("A token with a higher role than yours is managed by someone holding that role.");
        }

        return Unrevoked(token, allowRevoked);
    }

    private static TokenRecord Unrevoked(TokenRecord token, bool allowRevoked) =>
        !allowRevoked && token.RevokedAt is not null
            ? throw ApiProblem.Conflict(ProblemTypes.TokenRevoked, "The token is revoked", "A revoked token cannot be changed.")
            : token;

    private static TokenResponse ToResponse(TokenRecord t) =>
        new(t.Id, t.Kind == TokenKind.User ? "user" : "scoped", t.Name, t.WorkspaceId, RoleNames.OrNull(t.Role), Devices(t), t.ExpiresAt, t.DisabledAt, t.RevokedAt, t.CreatedAt);

    private static TokenSecretResponse ToSecretResponse(TokenRecord t, AccessToken secret) =>
        new(t.Id, secret.Secret, t.Name, RoleNames.OrNull(t.Role), Devices(t), t.ExpiresAt);

    private static DeviceGrantResponse[] Devices(TokenRecord t) => [.. t.Devices.Select(d => new DeviceGrantResponse(d.Device.ToString(), RoleNames.Of(d.Access)))];
}
