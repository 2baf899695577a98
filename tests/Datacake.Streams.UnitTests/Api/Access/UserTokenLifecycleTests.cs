using System.Net;
using Datacake.Streams.Access;
using Datacake.Streams.Api.Access;
using Datacake.Streams.Api.Metadata;
using Datacake.Streams.EdgeAuth;
using Microsoft.AspNetCore.Http;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Datacake.Streams.UnitTests.Api.Access;

/// <summary>
/// A user's own tokens have the scoped tokens' lifecycle (rotate with a grace, disable, revoke) and the operator can
/// disable a user as a whole: on the real SQLite store, through the resolver every API request goes through.
/// </summary>
public sealed class UserTokenLifecycleTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("dcs-user-tokens-").FullName;
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 6, 12, 0, 0, TimeSpan.Zero));

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task Disabling_a_user_keeps_the_first_instant_and_enabling_clears_it()
    {
        var store = await SqliteMetadataStore.OpenAsync(_directory);
        await CreateUserAsync(store, "usr_a");
        var first = _time.GetUtcNow();
        long before = store.Revision;

        Assert.True(await store.SetUserDisabledAsync("usr_a", first, default));
        Assert.Equal(before + 1, store.Revision);
        Assert.True(await store.SetUserDisabledAsync("usr_a", first.AddHours(1), default));
        Assert.Equal(first, (await store.GetUserAsync("usr_a", default))!.DisabledAt);

        Assert.True(await store.SetUserDisabledAsync("usr_a", null, default));
        Assert.Null((await store.GetUserAsync("usr_a", default))!.DisabledAt);
        Assert.False(await store.SetUserDisabledAsync("usr_nobody", first, default));
    }

    [Fact]
    public async Task A_users_tokens_are_listed_for_that_user_only()
    {
        var store = await SqliteMetadataStore.OpenAsync(_directory);
        var (first, _) = await CreateUserAsync(store, "usr_a");
        var (second, _) = await IssueUserTokenAsync(store, "usr_a");
        await CreateUserAsync(store, "usr_b");
        await store.CreateTokenAsync(
            new TokenRecord { Id = "tok_scoped", Kind = TokenKind.Scoped, Hash = AccessToken.New().Hash, Name = "s", WorkspaceId = null, CreatedBy = "usr_a", CreatedAt = _time.GetUtcNow() },
            default);

        var listed = await store.ListUserTokensAsync("usr_a", default);

        Assert.Equal(new[] { first.Id, second.Id }.Order(StringComparer.Ordinal), listed.Select(t => t.Id).Order(StringComparer.Ordinal));
        Assert.All(listed, t => Assert.Equal(TokenKind.User, t.Kind));
        Assert.Empty(await store.ListUserTokensAsync("usr_nobody", default));
    }

    [Fact]
    public async Task A_rotated_user_token_works_until_its_grace_ends_and_the_new_one_at_once()
    {
        var store = await SqliteMetadataStore.OpenAsync(_directory);
        var resolver = Resolver(store);
        var (token, old) = await CreateUserAsync(store, "usr_a");
        Assert.IsType<UserCaller>(await ResolveAsync(resolver, old));

        var replacement = AccessToken.New();
        await store.UpdateTokenAsync(token with { Hash = replacement.Hash, Rotation = new TokenRotation(token.Hash, _time.GetUtcNow().AddSeconds(2)) }, default);

        Assert.Equal("usr_a", Assert.IsType<UserCaller>(await ResolveAsync(resolver, old)).UserId);
        Assert.Equal("usr_a", Assert.IsType<UserCaller>(await ResolveAsync(resolver, replacement.Secret)).UserId);
        _time.Advance(TimeSpan.FromSeconds(2) - TimeSpan.FromTicks(1));
        Assert.NotNull(await ResolveAsync(resolver, old));

        // The grace ends with time alone: no write, the remembered answer is re-checked.
        _time.Advance(TimeSpan.FromTicks(1));
        Assert.Null(await ResolveAsync(resolver, old));
        Assert.NotNull(await ResolveAsync(resolver, replacement.Secret));
    }

    [Fact]
    public async Task A_disabled_or_revoked_user_token_is_refused_by_the_next_request_and_the_users_other_token_is_not()
    {
        var store = await SqliteMetadataStore.OpenAsync(_directory);
        var resolver = Resolver(store);
        var (first, firstSecret) = await CreateUserAsync(store, "usr_a");
        var (second, secondSecret) = await IssueUserTokenAsync(store, "usr_a");
        Assert.NotNull(await ResolveAsync(resolver, firstSecret));
        Assert.NotNull(await ResolveAsync(resolver, secondSecret));

        await store.UpdateTokenAsync(first with { DisabledAt = _time.GetUtcNow() }, default);
        Assert.Null(await ResolveAsync(resolver, firstSecret));
        Assert.NotNull(await ResolveAsync(resolver, secondSecret));

        // Revoking the last one is allowed: the operator issues a new one.
        await store.UpdateTokenAsync(second with { RevokedAt = _time.GetUtcNow() }, default);
        Assert.Null(await ResolveAsync(resolver, secondSecret));
        var (_, third) = await IssueUserTokenAsync(store, "usr_a");
        Assert.NotNull(await ResolveAsync(resolver, third));
    }

    [Fact]
    public async Task A_disabled_user_has_every_own_token_refused_at_once_and_back_when_enabled_while_workspace_tokens_stay()
    {
        var store = await SqliteMetadataStore.OpenAsync(_directory);
        var resolver = Resolver(store);
        var (_, firstSecret) = await CreateUserAsync(store, "usr_a");
        var (_, secondSecret) = await IssueUserTokenAsync(store, "usr_a");
        var (_, otherSecret) = await CreateUserAsync(store, "usr_b");
        var scoped = AccessToken.New();
        await store.CreateTokenAsync(
            new TokenRecord { Id = "tok_device", Kind = TokenKind.Scoped, Hash = scoped.Hash, Name = "fleet", CreatedBy = "usr_a", CreatedAt = _time.GetUtcNow() },
            default);
        Assert.NotNull(await ResolveAsync(resolver, firstSecret));

        await store.SetUserDisabledAsync("usr_a", _time.GetUtcNow(), default);

        Assert.Null(await ResolveAsync(resolver, firstSecret));
        Assert.Null(await ResolveAsync(resolver, secondSecret));
        Assert.NotNull(await ResolveAsync(resolver, otherSecret));

        // A workspace's token the user once made belongs to the workspace (its devices use it), not to the person.
        Assert.IsType<ScopedCaller>(await ResolveAsync(resolver, scoped.Secret));

        await store.SetUserDisabledAsync("usr_a", null, default);
        Assert.NotNull(await ResolveAsync(resolver, firstSecret));
        Assert.NotNull(await ResolveAsync(resolver, secondSecret));
    }

    private async Task<(TokenRecord Token, string Secret)> CreateUserAsync(SqliteMetadataStore store, string userId)
    {
        var secret = AccessToken.New();
        var token = UserToken(userId, secret);
        await store.CreateUserAsync(new UserRecord(userId, $"{userId}@example.test", _time.GetUtcNow()), token, default);
        return (token, secret.Secret);
    }

    private async Task<(TokenRecord Token, string Secret)> IssueUserTokenAsync(SqliteMetadataStore store, string userId)
    {
        var secret = AccessToken.New();
        var token = UserToken(userId, secret);
        await store.CreateTokenAsync(token, default);
        return (token, secret.Secret);
    }

    private TokenRecord UserToken(string userId, AccessToken secret) =>
        new() { Id = OpaqueId.New("tok_"), Kind = TokenKind.User, Hash = secret.Hash, Name = "user token", OwnerUserId = userId, CreatedAt = _time.GetUtcNow() };

    private CallerResolver Resolver(SqliteMetadataStore store)
    {
        IOptions<AccessOptions> options = Options.Create(new AccessOptions { IdentityCacheLifetime = TimeSpan.FromMinutes(1), OperatorToken = AccessToken.New().Secret });
        return new CallerResolver(store, OperatorCredential.Load(options.Value, _directory), new FailedAuthenticationBudget(_time, new FailedAuthenticationOptions()), _time, options);
    }

    private static async Task<Caller?> ResolveAsync(CallerResolver resolver, string secret)
    {
        // A new context per call, as each HTTP request has: the resolver keeps its answer for the rest of a request.
        var context = new DefaultHttpContext();
        context.Connection.RemoteIpAddress = IPAddress.Loopback;
        context.Request.Headers.Authorization = "Bearer " + secret;
        var resolution = await resolver.TryResolveAsync(context, default);
        return resolution.Caller;
    }
}
