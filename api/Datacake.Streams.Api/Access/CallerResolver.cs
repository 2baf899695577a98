using Datacake.Streams.Access;
using Datacake.Streams.Api.Metadata;
using Datacake.Streams.EdgeAuth;
using Microsoft.Extensions.Options;

namespace Datacake.Streams.Api.Access;

/// <summary>How resolving a request's bearer token turned out.</summary>
public readonly record struct CallerResolution(ReadScopeStatus Status, Caller? Caller, TimeSpan RetryAfter);

/// <summary>
/// Turns <c>Authorization: Bearer</c> into a <see cref="Caller"/> from the metadata store (not the registry view), so
/// that a revocation or a removed membership holds for the very next API request. A resolved token is remembered in
/// a <see cref="RevisionCache{TKey, TValue}"/> until the store next changes (any write), and its expiry and rotation
/// grace are checked again on every request. Failures spend the <see cref="FailedAuthenticationBudget"/> of the client
/// address and the token's prefix; they are never cached, and a valid token is never refused because of them.
/// </summary>
public sealed class CallerResolver
{
    private static readonly object _itemKey = new();

    private readonly IMetadataStore _store;
    private readonly OperatorCredential _operatorCredential;
    private readonly FailedAuthenticationBudget _failures;
    private readonly TimeProvider _time;
    private readonly RevisionCache<TokenHash, KnownToken> _known;

    public CallerResolver(IMetadataStore store, OperatorCredential operatorCredential, FailedAuthenticationBudget failures, TimeProvider time, IOptions<AccessOptions> options)
    {
        _store = store;
        _operatorCredential = operatorCredential;
        _failures = failures;
        _time = time;
        _known = new RevisionCache<TokenHash, KnownToken>(time, options.Value.IdentityCacheLifetime, options.Value.IdentityCacheEntries);
    }

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
        var presented = Presented(context);
        if (presented.IsMissing)
        {
            // No credential at all is not a guess: it does not count against the client.
            return new CallerResolution(ReadScopeStatus.Unauthenticated, null, default);
        }

        var hash = presented.Hash();
        if (_operatorCredential.Matches(hash))
        {
            return new CallerResolution(ReadScopeStatus.Ok, OperatorCaller.Instance, default);
        }

        var caller = presented.IsWellFormed ? await FindAsync(hash, cancellationToken) : null;
        if (caller is not null)
        {
            return new CallerResolution(ReadScopeStatus.Ok, caller, default);
        }

        // Parsed again rather than kept across the await (a span cannot be); only failures pay for it.
        var scope = FailureScope.TokenPrefix(Presented(context));
        return _failures.TrySpend(context.Connection.RemoteIpAddress, scope, out var retryAfter)
            ? new CallerResolution(ReadScopeStatus.Unauthenticated, null, default)
            : new CallerResolution(ReadScopeStatus.RateLimited, null, retryAfter);
    }

    /// <summary>
    /// <c>Authorization: Bearer</c>, or where the endpoint says so (<see cref="InfluxV1Credentials"/>) the places
    /// InfluxDB 1.x clients put a password.
    /// </summary>
    private static PresentedCredential Presented(HttpContext context) =>
        context.GetEndpoint()?.Metadata.GetMetadata<InfluxV1Credentials>() is null
            ? EdgeCredentials.FromAuthorization(context.Request.Headers.Authorization)
            : EdgeCredentials.FromInflux(
                context.Request.Headers.Authorization,
                context.Request.Query["p"] is { Count: 1 } password ? password[0] : null,
                new char[EdgeCredentials.InfluxScratchLength]);

    private async Task<Caller?> FindAsync(TokenHash hash, CancellationToken cancellationToken)
    {
        // Taken before the lookups: a write that lands while they run advances it and retires what they read.
        long revision = _store.Revision;
        if (!_known.TryGet(hash, revision, out KnownToken known))
        {
            var token = await _store.FindTokenByHashAsync(hash, cancellationToken);
            if (token is null)
            {
                return null;
            }

            known = new KnownToken(token, await CallerOfAsync(token, cancellationToken));
            _known.Set(hash, revision, known);
        }

        // Expiry and the end of a rotation's grace come with time, not with a write: checked on every request.
        return known.Caller is not null && AccessRules.Status(known.Token, hash, _time.GetUtcNow()) == AuthenticationResult.Ok ? known.Caller : null;
    }

    /// <summary>The caller the token makes; null for a token of a disabled user (remembered like any answer, until the next write).</summary>
    private async Task<Caller?> CallerOfAsync(TokenRecord token, CancellationToken cancellationToken)
    {
        if (token.Kind == TokenKind.Scoped)
        {
            return new ScopedCaller(token);
        }

        var user = await _store.GetUserAsync(token.OwnerUserId!, cancellationToken);
        if (user is not { DisabledAt: null })
        {
            return null;
        }

        var memberships = await _store.ListMembershipsOfUserAsync(user.Id, cancellationToken);
        return new UserCaller(user.Id, token.Id, memberships.ToDictionary(m => m.WorkspaceId, m => m.Role, StringComparer.Ordinal));
    }

    /// <summary>A stored token and the caller it makes (none: its user is disabled), as read at one store revision.</summary>
    private readonly record struct KnownToken(TokenRecord Token, Caller? Caller);
}
