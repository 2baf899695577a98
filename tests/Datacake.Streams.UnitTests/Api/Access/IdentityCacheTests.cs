using System.Collections.Immutable;
using System.Net;
using Datacake.Streams.Access;
using Datacake.Streams.Api.Access;
using Datacake.Streams.Api.Metadata;
using Datacake.Streams.EdgeAuth;
using Datacake.Streams.Ids;
using Microsoft.AspNetCore.Http;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Datacake.Streams.UnitTests.Api.Access;

/// <summary>
/// The read path remembers resolved tokens and devices (<see cref="RevisionCache{TKey, TValue}"/>) on the real SQLite
/// store: every write through the store is seen by the very next request, and time-bound states (expiry) without one.
/// </summary>
public sealed class IdentityCacheTests : IDisposable
{
    private const string GuestId = "usr_guest";

    private static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(30);

    private readonly string _directory = Directory.CreateTempSubdirectory("dcs-identity-cache-").FullName;
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 29, 12, 0, 0, TimeSpan.Zero));

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task Every_write_advances_the_revision_and_reads_do_not()
    {
        var (store, world) = await SeedAsync();
        long before = store.Revision;
        await store.GetDeviceAsync(world.Device.Id, default);
        await store.FindTokenByHashAsync(world.UserHash, default);
        await store.GetAncestryAsync(world.Cellar.Id, AccessGuard.MaxDepth, default);
        Assert.Equal(before, store.Revision);

        await store.UpdateDeviceAsync(world.Device with { Name = "Freezer" }, default);
        Assert.Equal(before + 1, store.Revision);
        await store.RemoveMembershipAsync(world.Home.Id, "usr_nobody", default);
        Assert.Equal(before + 2, store.Revision);
    }

    [Fact]
    public async Task Asking_for_a_home_that_exists_does_not_advance_the_revision()
    {
        // GET /v1/me ensures the caller's home workspace on every call: only the call that creates it is a write.
        var (store, _) = await SeedAsync();
        var candidate = new WorkspaceRecord("ws_owner_home", "My home", null, _time.GetUtcNow());
        long before = store.Revision;
        Assert.Equal(candidate.Id, await store.EnsureHomeWorkspaceAsync("usr_owner", candidate, default));
        Assert.Equal(before + 1, store.Revision);

        Assert.Equal(candidate.Id, await store.EnsureHomeWorkspaceAsync("usr_owner", candidate with { Id = "ws_other" }, default));
        Assert.Equal(before + 1, store.Revision);
        Assert.Null(await store.GetWorkspaceAsync("ws_other", default));
    }

    [Fact]
    public async Task A_remembered_device_answers_without_the_store_until_the_lifetime_ends()
    {
        var (store, world) = await SeedAsync();
        var access = Access(store);
        Assert.Equal("Fridge", (await ReadAsync(access, world.UserBearer, world.Device.Id)).Name);

        // Renamed behind the store's back (no revision): the remembered answer stands, which shows no lookup ran...
        await using (var connection = new SqliteConnection($"Data Source={store.Path}"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "UPDATE devices SET name = 'Renamed outside' WHERE id = $id";
            command.Parameters.AddWithValue("$id", world.Device.Id.ToString());
            Assert.Equal(1, await command.ExecuteNonQueryAsync());
        }

        Assert.Equal("Fridge", (await ReadAsync(access, world.UserBearer, world.Device.Id)).Name);

        // ...and the lifetime bounds how long such an outside change goes unseen.
        _time.Advance(Lifetime);
        Assert.Equal("Renamed outside", (await ReadAsync(access, world.UserBearer, world.Device.Id)).Name);
    }

    [Fact]
    public async Task A_disabled_revoked_or_rotated_token_is_refused_by_the_next_request()
    {
        var (store, world) = await SeedAsync();
        var access = Access(store);
        var (bearer, token) = await IssueReadTokenAsync(store, world);
        await ReadAsync(access, bearer, world.Device.Id);
        await ReadAsync(access, bearer, world.Device.Id);

        await store.UpdateTokenAsync(token with { DisabledAt = _time.GetUtcNow() }, default);
        Assert.Equal(ReadScopeStatus.Unauthenticated, (await ResolveAsync(access, bearer, world.Device.Id)).Status);

        var (second, secondToken) = await IssueReadTokenAsync(store, world);
        await ReadAsync(access, second, world.Device.Id);
        await store.UpdateTokenAsync(secondToken with { RevokedAt = _time.GetUtcNow() }, default);
        Assert.Equal(ReadScopeStatus.Unauthenticated, (await ResolveAsync(access, second, world.Device.Id)).Status);

        var (third, thirdToken) = await IssueReadTokenAsync(store, world);
        await ReadAsync(access, third, world.Device.Id);
        var replacement = AccessToken.New();
        await store.UpdateTokenAsync(thirdToken with { Hash = replacement.Hash, Rotation = new TokenRotation(thirdToken.Hash, _time.GetUtcNow()) }, default);
        Assert.Equal(ReadScopeStatus.Unauthenticated, (await ResolveAsync(access, third, world.Device.Id)).Status);
        await ReadAsync(access, "Bearer " + replacement.Secret, world.Device.Id);
    }

    [Fact]
    public async Task A_token_that_expires_is_refused_once_its_time_passes_without_any_write()
    {
        var (store, world) = await SeedAsync();
        var access = Access(store);
        var (bearer, _) = await IssueReadTokenAsync(store, world, expiresAt: _time.GetUtcNow().AddSeconds(5));
        await ReadAsync(access, bearer, world.Device.Id);
        long revision = store.Revision;

        _time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(ReadScopeStatus.Unauthenticated, (await ResolveAsync(access, bearer, world.Device.Id)).Status);
        Assert.Equal(revision, store.Revision);
    }

    [Fact]
    public async Task A_deleted_or_renamed_device_and_a_removed_member_show_at_the_next_request()
    {
        var (store, world) = await SeedAsync();
        var access = Access(store);
        var guest = await AddMemberAsync(store, world.Cellar.Id, WorkspaceRole.Viewer);
        await ReadAsync(access, guest, world.Device.Id);
        Assert.Equal("Fridge", (await ReadAsync(access, world.UserBearer, world.Device.Id)).Name);

        await store.UpdateDeviceAsync(world.Device with { Name = "Freezer" }, default);
        Assert.Equal("Freezer", (await ReadAsync(access, world.UserBearer, world.Device.Id)).Name);

        await store.RemoveMembershipAsync(world.Cellar.Id, GuestId, default);
        Assert.Equal(ReadScopeStatus.Ok, (await ResolveAsync(access, guest, world.Device.Id)).Status);
        Assert.Empty((await ResolveAsync(access, guest, world.Device.Id)).Devices);

        await store.UpdateDeviceAsync(world.Device with { Name = "Freezer", DeletedAt = _time.GetUtcNow() }, default);
        Assert.Empty((await ResolveAsync(access, world.UserBearer, world.Device.Id)).Devices);
    }

    private async Task<string> AddMemberAsync(SqliteMetadataStore store, string workspaceId, WorkspaceRole role)
    {
        var secret = AccessToken.New();
        await store.CreateUserAsync(
            new UserRecord(GuestId, "guest@example.test", _time.GetUtcNow()),
            new TokenRecord { Id = "tok_guest", Kind = TokenKind.User, Hash = secret.Hash, Name = "user token", OwnerUserId = GuestId, CreatedAt = _time.GetUtcNow() },
            default);
        var invitation = new InvitationRecord("inv_1", workspaceId, GuestId, role, new Inviter("usr_owner", null), _time.GetUtcNow(), _time.GetUtcNow().AddDays(7), null);
        await store.CreateInvitationAsync(invitation, default);
        Assert.True(await store.AcceptInvitationAsync(invitation, GuestId, _time.GetUtcNow(), default));
        return "Bearer " + secret.Secret;
    }

    private async Task<(string Bearer, TokenRecord Token)> IssueReadTokenAsync(SqliteMetadataStore store, World world, DateTimeOffset? expiresAt = null)
    {
        var secret = AccessToken.New();
        var token = new TokenRecord
        {
            Id = OpaqueId.New("tok_"),
            Kind = TokenKind.Scoped,
            Hash = secret.Hash,
            Name = "reader",
            WorkspaceId = world.Home.Id,
            Devices = ImmutableArray.Create(new DeviceGrant(world.Device.Id, DeviceAccess.Read)),
            ExpiresAt = expiresAt,
            CreatedAt = _time.GetUtcNow(),
        };
        await store.CreateTokenAsync(token, default);
        return ("Bearer " + secret.Secret, token);
    }

    private async Task<(SqliteMetadataStore Store, World World)> SeedAsync()
    {
        var store = await SqliteMetadataStore.OpenAsync(_directory);
        DateTimeOffset now = _time.GetUtcNow();
        var secret = AccessToken.New();
        await store.CreateUserAsync(
            new UserRecord("usr_owner", "owner@example.test", now),
            new TokenRecord { Id = "tok_owner", Kind = TokenKind.User, Hash = secret.Hash, Name = "user token", OwnerUserId = "usr_owner", CreatedAt = now },
            default);
        var home = new WorkspaceRecord("ws_home", "Home", null, now);
        var cellar = new WorkspaceRecord("ws_cellar", "Cellar", home.Id, now);
        await store.CreateWorkspaceAsync(home, new MembershipRecord(home.Id, "usr_owner", WorkspaceRole.Owner), default);
        await store.CreateWorkspaceAsync(cellar, null, default);
        var device = new DeviceRecord(DeviceId.New(), cellar.Id, "Fridge", null, null, null, null, now, null);
        await store.CreateDeviceAsync(device, default);
        return (store, new World(home, cellar, device, "Bearer " + secret.Secret, secret.Hash));
    }

    private StoreDeviceReadAccess Access(SqliteMetadataStore store)
    {
        IOptions<AccessOptions> options = Options.Create(new AccessOptions { IdentityCacheLifetime = Lifetime, OperatorToken = AccessToken.New().Secret });
        var limiter = new FailedAuthenticationBudget(_time, new FailedAuthenticationOptions());
        var resolver = new CallerResolver(store, OperatorCredential.Load(options.Value, _directory), limiter, _time, options);
        return new StoreDeviceReadAccess(resolver, store, new AccessGuard(store), _time, options);
    }

    /// <summary>The device as the bearer reads it; fails the test when the bearer may not.</summary>
    private static async Task<ReadableDevice> ReadAsync(StoreDeviceReadAccess access, string bearer, DeviceId device)
    {
        DeviceReadScope scope = await ResolveAsync(access, bearer, device);
        Assert.Equal(ReadScopeStatus.Ok, scope.Status);
        Assert.True(scope.TryGet(device, out ReadableDevice? readable), "the device is not readable");
        return readable!;
    }

    private static ValueTask<DeviceReadScope> ResolveAsync(StoreDeviceReadAccess access, string bearer, DeviceId device)
    {
        // A new context per call, as each HTTP request has: the resolver keeps its answer for the rest of a request.
        var context = new DefaultHttpContext();
        context.Connection.RemoteIpAddress = IPAddress.Loopback;
        context.Request.Headers.Authorization = bearer;
        return access.ResolveDeviceAsync(context, device.ToString(), default);
    }

    private sealed record World(WorkspaceRecord Home, WorkspaceRecord Cellar, DeviceRecord Device, string UserBearer, TokenHash UserHash);
}
