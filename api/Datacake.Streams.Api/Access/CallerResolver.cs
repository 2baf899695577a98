using Datacake.Streams.Access;
using Datacake.Streams.Api.Metadata;

namespace Datacake.Streams.Api.Access;

/// <summary>How resolving a request's bearer token turned out.</summary>
public readonly record struct CallerResolution(ReadScopeStatus Status, Caller? Caller, TimeSpan RetryAfter);

/// <summary>
/// Turns <c>Authorization: Bearer</c> into a <see cref="Caller"/> from the metadata store (not the registry view), so
/// that a revocation or a removed membership holds for the very next API request. Failures count against the
/// client IP in <see cref="FailedAuthenticationLimiter"/>.
/// </summary>
public sealed class CallerResolver(IMetadataStore store, OperatorCredential operatorCredential, FailedAuthenticationLimiter limiter, TimeProvider time)
{
    private const string BearerScheme = "Bearer ";
    private static readonly object _itemKey = new();

    /// <summary>The caller, or throws the 401 / 429 problem. Cached for the rest of the request.</summary>
    public async Task<Caller> ResolveAsync(HttpContext context, CancellationToken cancellationToken)
    {
        var resolution = await TryResolveAsync(context, cancellationToken);
        return resolution.Status switch
        {
            ReadScopeStatus.RateLimited => throw ApiProblem.RateLimited(resolution.RetryAfter),
            ReadScopeStatus.Unauthenticated => throw ApiProblem.Unauthenticated(),
            _ => resolution.Caller!,
        };
    }

    public async Task<CallerResolution> TryResolveAsync(HttpContext context, CancellationToken cancellationToken)
    {
        if (context.Items.TryGetValue(_itemKey, out var cached) && cached is CallerResolution known)
        {
            return known;
        }

        var resolution = await ResolveUncachedAsync(context, cancellationToken);
        context.Items[_itemKey] = resolution;
        return resolution;
    }

    private async Task<CallerResolution> ResolveUncachedAsync(HttpContext context, CancellationToken cancellationToken)
    {
        var client = context.Connection.RemoteIpAddress;
        if (limiter.IsLimited(client, out var retryAfter))
        {
            return new CallerResolution(ReadScopeStatus.RateLimited, null, retryAfter);
        }

        string? header = context.Request.Headers.Authorization;
        if (header is null || !header.StartsWith(BearerScheme, StringComparison.OrdinalIgnoreCase))
        {
            // No credential at all is not a guess: it does not count against the client.
            return new CallerResolution(ReadScopeStatus.Unauthenticated, null, default);
        }

        var presented = header.AsSpan(BearerScheme.Length).Trim();
        var hash = TokenHash.Of(presented);
        if (operatorCredential.Matches(hash))
        {
            return new CallerResolution(ReadScopeStatus.Ok, OperatorCaller.Instance, default);
        }

        var caller = AccessToken.TryValidateFormat(presented) ? await FindAsync(hash, cancellationToken) : null;
        if (caller is null)
        {
            limiter.RecordFailure(client);
            return new CallerResolution(ReadScopeStatus.Unauthenticated, null, default);
        }

        return new CallerResolution(ReadScopeStatus.Ok, caller, default);
    }

    private async Task<Caller?> FindAsync(TokenHash hash, CancellationToken cancellationToken)
    {
        var token = await store.FindTokenByHashAsync(hash, cancellationToken);
        if (token is null || AccessRules.Status(token, hash, time.GetUtcNow()) != AuthenticationResult.Ok)
        {
            return null;
        }

        if (token.Kind == TokenKind.Scoped)
        {
            return new ScopedCaller(token);
        }

        var memberships = await store.ListMembershipsOfUserAsync(token.OwnerUserId!, cancellationToken);
        return new UserCaller(token.OwnerUserId!, token.Id, memberships.ToDictionary(m => m.WorkspaceId, m => m.Role, StringComparer.Ordinal));
    }
}
