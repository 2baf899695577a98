using Datacake.Streams.Access;
using Datacake.Streams.Api.Access;
using Datacake.Streams.Api.Metadata;
using Datacake.Streams.Api.Workspaces;
using Datacake.Streams.Problems;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Datacake.Streams.UnitTests.Api.Workspaces;

/// <summary>
/// Invitations on the real SQLite store with a fake clock: they expire at creation + <c>Invitations:Lifetime</c> read
/// through the injected <see cref="TimeProvider"/>, and acceptance grants only while the inviter still holds the right.
/// </summary>
public sealed class InvitationsTests : IDisposable
{
    private const string Home = "ws_home";
    private const string Other = "ws_other";

    private static readonly TimeSpan Lifetime = TimeSpan.FromDays(7);

    private readonly string _directory = Directory.CreateTempSubdirectory("dcs-invitations-").FullName;
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 6, 12, 0, 0, TimeSpan.Zero));

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    [Theory]
    [InlineData(-1, true)]
    [InlineData(0, false)]
    [InlineData(1, false)]
    public async Task An_invitation_is_accepted_until_its_lifetime_has_passed_on_the_injected_clock(long ticksPastExpiry, bool accepted)
    {
        var world = await SeedAsync();
        var invitation = await InviteAsync(world, world.Owner, "usr_guest", WorkspaceRole.Editor);
        Assert.Equal(_time.GetUtcNow() + Lifetime, invitation.ExpiresAt);

        _time.Advance(Lifetime + TimeSpan.FromTicks(ticksPastExpiry));
        if (accepted)
        {
            await world.Invitations.AcceptAsync(world.Guest, invitation.Id, default);
            Assert.Equal(WorkspaceRole.Editor, await RoleOfAsync(world.Store, "usr_guest"));
        }
        else
        {
            var problem = await Assert.ThrowsAsync<ApiProblem>(() => world.Invitations.AcceptAsync(world.Guest, invitation.Id, default));
            Assert.Equal(ProblemTypes.InvitationExpired, problem.Type);
            Assert.Equal(410, problem.Status);
            Assert.Equal(WorkspaceRole.None, await RoleOfAsync(world.Store, "usr_guest"));
            Assert.Null((await world.Store.GetInvitationAsync(invitation.Id, default))!.AcceptedAt);
        }
    }

    [Fact]
    public async Task The_lifetime_comes_from_the_options()
    {
        var world = await SeedAsync(TimeSpan.FromHours(1));
        var invitation = await InviteAsync(world, world.Owner, "usr_guest", WorkspaceRole.Viewer);
        Assert.Equal(_time.GetUtcNow().AddHours(1), invitation.ExpiresAt);
        _time.Advance(TimeSpan.FromHours(1));
        var problem = await Assert.ThrowsAsync<ApiProblem>(() => world.Invitations.AcceptAsync(world.Guest, invitation.Id, default));
        Assert.Equal(ProblemTypes.InvitationExpired, problem.Type);
    }

    [Fact]
    public void The_lifetime_is_validated()
    {
        var validator = new InvitationOptionsValidator();
        Assert.Equal(TimeSpan.FromDays(7), new InvitationOptions().Lifetime);
        Assert.True(validator.Validate(null, new InvitationOptions()).Succeeded);
        Assert.True(validator.Validate(null, new InvitationOptions { Lifetime = TimeSpan.FromSeconds(1) }).Succeeded);
        Assert.True(validator.Validate(null, new InvitationOptions { Lifetime = TimeSpan.Zero }).Failed);
        Assert.True(validator.Validate(null, new InvitationOptions { Lifetime = TimeSpan.FromDays(-1) }).Failed);
        Assert.True(validator.Validate(null, new InvitationOptions { Lifetime = TimeSpan.FromDays(366) }).Failed);
    }

    [Fact]
    public async Task An_invitation_records_its_inviter_by_ids_only()
    {
        var world = await SeedAsync();
        var byUser = await InviteAsync(world, world.Admin, "usr_guest", WorkspaceRole.Viewer);
        var byToken = await InviteAsync(world, world.ScopedAdmin, "usr_guest", WorkspaceRole.Viewer);

        Assert.Equal(new Inviter("usr_admin", "tok_admin"), (await world.Store.GetInvitationAsync(byUser.Id, default))!.InvitedBy);
        Assert.Equal(new Inviter(null, "tok_scoped"), (await world.Store.GetInvitationAsync(byToken.Id, default))!.InvitedBy);
        Assert.Equal(new[] { byUser.Id, byToken.Id }.Order(), (await world.Store.ListPendingInvitationsAsync(Home, default)).Select(i => i.Id).Order());
        Assert.Empty(await world.Store.ListPendingInvitationsAsync(Other, default));
    }

    [Fact]
    public async Task An_invitation_from_an_inviter_who_still_holds_the_right_is_accepted()
    {
        var world = await SeedAsync();
        var byUser = await InviteAsync(world, world.Admin, "usr_guest", WorkspaceRole.Viewer);
        var byToken = await InviteAsync(world, world.ScopedAdmin, "usr_guest", WorkspaceRole.Admin);

        await world.Invitations.AcceptAsync(world.Guest, byUser.Id, default);
        Assert.Equal(WorkspaceRole.Viewer, await RoleOfAsync(world.Store, "usr_guest"));
        await world.Invitations.AcceptAsync(world.Guest, byToken.Id, default);
        Assert.Equal(WorkspaceRole.Admin, await RoleOfAsync(world.Store, "usr_guest"));
    }

    [Fact]
    public async Task An_invitation_from_a_removed_admin_grants_nothing()
    {
        var world = await SeedAsync();
        var invitation = await InviteAsync(world, world.Admin, "usr_guest", WorkspaceRole.Admin);
        await world.Store.RemoveMembershipAsync(Home, "usr_admin", default);

        await AssertInviterLostRightAsync(world, invitation);
    }

    [Fact]
    public async Task An_invitation_from_an_admin_now_below_admin_or_below_the_invited_role_grants_nothing()
    {
        var world = await SeedAsync();
        var invitation = await InviteAsync(world, world.Admin, "usr_guest", WorkspaceRole.Editor);

        // Back as a viewer (removed, then invited again by the owner): no longer an admin.
        await world.Store.RemoveMembershipAsync(Home, "usr_admin", default);
        await world.Store.CreateInvitationAsync(
            new InvitationRecord("inv_back", Home, "usr_admin", WorkspaceRole.Viewer, new Inviter("usr_owner", "tok_owner"), _time.GetUtcNow(), _time.GetUtcNow() + Lifetime, null),
            default);
        await world.Invitations.AcceptAsync(new UserCaller("usr_admin", "tok_admin", new Dictionary<string, WorkspaceRole>()), "inv_back", default);

        await AssertInviterLostRightAsync(world, invitation);
    }

    [Theory]
    [InlineData("revoked")]
    [InlineData("disabled")]
    [InlineData("expired")]
    [InlineData("deleted-scope")]
    public async Task An_invitation_from_a_token_no_longer_good_grants_nothing(string change)
    {
        var world = await SeedAsync();
        var invitation = await InviteAsync(world, world.ScopedAdmin, "usr_guest", WorkspaceRole.Viewer);
        var token = (await world.Store.GetTokenAsync("tok_scoped", default))!;
        switch (change)
        {
            case "revoked":
                await world.Store.UpdateTokenAsync(token with { RevokedAt = _time.GetUtcNow() }, default);
                break;
            case "disabled":
                await world.Store.UpdateTokenAsync(token with { DisabledAt = _time.GetUtcNow() }, default);
                break;
            case "expired":
                await world.Store.UpdateTokenAsync(token with { ExpiresAt = _time.GetUtcNow().AddMinutes(1) }, default);
                _time.Advance(TimeSpan.FromMinutes(1));
                break;
            default:
                // The token's role narrowed to devices only: it could not invite now.
                await world.Store.UpdateTokenAsync(token with { Role = WorkspaceRole.None }, default);
                break;
        }

        await AssertInviterLostRightAsync(world, invitation);
    }

    [Fact]
    public async Task An_invitation_made_with_a_user_token_since_revoked_grants_nothing_though_the_user_is_still_admin()
    {
        var world = await SeedAsync();
        var invitation = await InviteAsync(world, world.Admin, "usr_guest", WorkspaceRole.Viewer);
        var token = (await world.Store.GetTokenAsync("tok_admin", default))!;
        await world.Store.UpdateTokenAsync(token with { RevokedAt = _time.GetUtcNow() }, default);

        await AssertInviterLostRightAsync(world, invitation);
    }

    [Fact]
    public async Task An_invitation_from_a_user_the_operator_disabled_grants_nothing()
    {
        var world = await SeedAsync();
        var invitation = await InviteAsync(world, world.Admin, "usr_guest", WorkspaceRole.Viewer);
        Assert.True(await world.Store.SetUserDisabledAsync("usr_admin", _time.GetUtcNow(), default));

        await AssertInviterLostRightAsync(world, invitation);
    }

    [Fact]
    public async Task Only_the_invitee_sees_an_invitation_and_it_is_used_once()
    {
        var world = await SeedAsync();
        var invitation = await InviteAsync(world, world.Owner, "usr_guest", WorkspaceRole.Viewer);

        foreach (var caller in new Caller[] { world.Admin, world.ScopedAdmin })
        {
            var problem = await Assert.ThrowsAsync<ApiProblem>(() => world.Invitations.AcceptAsync(caller, invitation.Id, default));
            Assert.Equal(ProblemTypes.NotFound, problem.Type);
        }

        await world.Invitations.AcceptAsync(world.Guest, invitation.Id, default);
        var again = await Assert.ThrowsAsync<ApiProblem>(() => world.Invitations.AcceptAsync(world.Guest, invitation.Id, default));
        Assert.Equal(ProblemTypes.NotFound, again.Type);
        Assert.False(await world.Store.CancelInvitationAsync(invitation.Id, default));
    }

    [Fact]
    public async Task A_cancelled_invitation_cannot_be_accepted()
    {
        var world = await SeedAsync();
        var invitation = await InviteAsync(world, world.Owner, "usr_guest", WorkspaceRole.Viewer);
        Assert.True(await world.Store.CancelInvitationAsync(invitation.Id, default));

        var problem = await Assert.ThrowsAsync<ApiProblem>(() => world.Invitations.AcceptAsync(world.Guest, invitation.Id, default));
        Assert.Equal(ProblemTypes.NotFound, problem.Type);
        Assert.Equal(WorkspaceRole.None, await RoleOfAsync(world.Store, "usr_guest"));
        Assert.Empty(await world.Store.ListPendingInvitationsAsync(Home, default));
    }

    [Fact]
    public async Task Invitations_pending_before_the_schema_step_get_the_default_lifetime_and_keep_their_one_inviter_id()
    {
        // A store as it was before step 6, with one invitation by a user and one by a scoped token.
        var created = _time.GetUtcNow();
        await using (var connection = new SqliteConnection($"Data Source={Path.Combine(_directory, SqliteMetadataStore.FileName)}"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = string.Join(
                '\n',
                SqliteMigrations.Steps.Where(s => s.Version < 6).Select(s => s.Sql)
                    .Append("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL);")
                    .Append("INSERT INTO schema_migrations VALUES (1, 0), (2, 0), (3, 0), (4, 0), (5, 0);")
                    .Append("INSERT INTO users (id, email, created_at) VALUES ('usr_a', 'a@example.test', 0), ('usr_b', 'b@example.test', 0);")
                    .Append("INSERT INTO workspaces (id, name, parent_id, created_at) VALUES ('ws_home', 'Home', NULL, 0);")
                    .Append($"INSERT INTO invitations VALUES ('inv_user', 'ws_home', 'usr_b', 1, 'usr_a', {created.UtcTicks}, NULL);")
                    .Append($"INSERT INTO invitations VALUES ('inv_token', 'ws_home', 'usr_b', 1, 'tok_admin', {created.UtcTicks}, NULL);"));
            await command.ExecuteNonQueryAsync();
        }

        SqliteConnection.ClearAllPools();
        var store = await SqliteMetadataStore.OpenAsync(_directory);
        var byUser = (await store.GetInvitationAsync("inv_user", default))!;
        var byToken = (await store.GetInvitationAsync("inv_token", default))!;
        Assert.Equal(new Inviter("usr_a", null), byUser.InvitedBy);
        Assert.Equal(new Inviter(null, "tok_admin"), byToken.InvitedBy);
        Assert.Equal(created + Lifetime, byUser.ExpiresAt);
        Assert.Equal(created + Lifetime, byToken.ExpiresAt);
        Assert.Contains(6, await store.AppliedMigrationsAsync());
    }

    private static async Task AssertInviterLostRightAsync(World world, InvitationRecord invitation)
    {
        var problem = await Assert.ThrowsAsync<ApiProblem>(() => world.Invitations.AcceptAsync(world.Guest, invitation.Id, default));
        Assert.Equal(ProblemTypes.InviterLostRight, problem.Type);
        Assert.Equal(403, problem.Status);
        Assert.Equal(WorkspaceRole.None, await RoleOfAsync(world.Store, "usr_guest"));
        Assert.Null((await world.Store.GetInvitationAsync(invitation.Id, default))!.AcceptedAt);
    }

    private static async Task<WorkspaceRole> RoleOfAsync(IMetadataStore store, string userId) =>
        (await store.ListMembershipsOfUserAsync(userId, default)).FirstOrDefault(m => m.WorkspaceId == Home)?.Role ?? WorkspaceRole.None;

    private async Task<InvitationRecord> InviteAsync(World world, Caller inviter, string userId, WorkspaceRole role)
    {
        var invitation = world.Invitations.New(inviter, Home, userId, null, role);
        await world.Store.CreateInvitationAsync(invitation, default);
        return invitation;
    }

    private async Task<World> SeedAsync(TimeSpan? lifetime = null)
    {
        var store = await SqliteMetadataStore.OpenAsync(_directory);
        var now = _time.GetUtcNow();
        foreach (var name in new[] { "owner", "admin", "guest" })
        {
            await store.CreateUserAsync(
                new UserRecord($"usr_{name}", $"{name}@example.test", now),
                new TokenRecord { Id = $"tok_{name}", Kind = TokenKind.User, Hash = AccessToken.New().Hash, Name = "user token", OwnerUserId = $"usr_{name}", CreatedAt = now },
                default);
        }

        await store.CreateWorkspaceAsync(new WorkspaceRecord(Home, "Home", null, now), new MembershipRecord(Home, "usr_owner", WorkspaceRole.Owner), default);
        await store.CreateWorkspaceAsync(new WorkspaceRecord(Other, "Other", null, now), new MembershipRecord(Other, "usr_guest", WorkspaceRole.Owner), default);
        var scoped = new TokenRecord
        {
            Id = "tok_scoped", Kind = TokenKind.Scoped, Hash = AccessToken.New().Hash, Name = "admin", WorkspaceId = Home, Role = WorkspaceRole.Admin, CreatedAt = now,
        };
        await store.CreateTokenAsync(scoped, default);

        var invitations = new Invitations(store, new AccessGuard(store), _time, Options.Create(new InvitationOptions { Lifetime = lifetime ?? Lifetime }));
        var toAdmin = invitations.New(new UserCaller("usr_owner", "tok_owner", new Dictionary<string, WorkspaceRole> { [Home] = WorkspaceRole.Owner }), Home, "usr_admin", null, WorkspaceRole.Admin);
        await store.CreateInvitationAsync(toAdmin, default);
        await store.AcceptInvitationAsync(toAdmin, "usr_admin", now, default);

        return new World(
            store,
            invitations,
            new UserCaller("usr_owner", "tok_owner", new Dictionary<string, WorkspaceRole> { [Home] = WorkspaceRole.Owner }),
            new UserCaller("usr_admin", "tok_admin", new Dictionary<string, WorkspaceRole> { [Home] = WorkspaceRole.Admin }),
            new ScopedCaller(scoped),
            new UserCaller("usr_guest", "tok_guest", new Dictionary<string, WorkspaceRole> { [Other] = WorkspaceRole.Owner }));
    }

    private sealed record World(SqliteMetadataStore Store, Invitations Invitations, UserCaller Owner, UserCaller Admin, ScopedCaller ScopedAdmin, UserCaller Guest);
}
