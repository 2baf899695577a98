using Datacake.Streams.Access;
using Datacake.Streams.Api.Access;
using Datacake.Streams.Api.Metadata;
using Datacake.Streams.Ids;

namespace Datacake.Streams.UnitTests.Api.Access;

public sealed class AccessRulesTests
{
    // Tree: root > team > project; "other" is an unrelated root.
    private static readonly string[] _project = ["project", "team", "root"];
    private static readonly string[] _team = ["team", "root"];
    private static readonly string[] _root = ["root"];
    private static readonly string[] _other = ["other"];

    [Fact]
    public void A_member_holds_their_role_in_every_sub_workspace_and_nowhere_else()
    {
        var user = User(("team", WorkspaceRole.Editor));
        Assert.Equal(WorkspaceRole.Editor, AccessRules.RoleIn(user, _team));
        Assert.Equal(WorkspaceRole.Editor, AccessRules.RoleIn(user, _project));
        Assert.Equal(WorkspaceRole.None, AccessRules.RoleIn(user, _root));
        Assert.Equal(WorkspaceRole.None, AccessRules.RoleIn(user, _other));
    }

    [Fact]
    public void The_highest_role_along_the_ancestry_wins()
    {
        var user = User(("root", WorkspaceRole.Viewer), ("project", WorkspaceRole.Admin));
        Assert.Equal(WorkspaceRole.Admin, AccessRules.RoleIn(user, _project));
        Assert.Equal(WorkspaceRole.Viewer, AccessRules.RoleIn(user, _team));
    }

    [Fact]
    public void A_scoped_token_holds_its_role_in_its_subtree_only()
    {
        var token = Scoped("team", WorkspaceRole.Admin);
        Assert.Equal(WorkspaceRole.Admin, AccessRules.RoleIn(token, _project));
        Assert.Equal(WorkspaceRole.None, AccessRules.RoleIn(token, _root));
        Assert.Equal(WorkspaceRole.None, AccessRules.RoleIn(token, _other));
    }

    [Fact]
    public void The_operator_holds_no_role_and_no_device()
    {
        Assert.Equal(WorkspaceRole.None, AccessRules.RoleIn(OperatorCaller.Instance, _root));
        Assert.Equal(DeviceAccess.None, AccessRules.AccessTo(OperatorCaller.Instance, DeviceId.New(), _root));
    }

    [Fact]
    public void Listed_devices_count_only_inside_the_tokens_own_workspace_tree()
    {
        var device = DeviceId.New();
        var token = Scoped("team", WorkspaceRole.None, new DeviceGrant(device, DeviceAccess.ReadWrite));
        Assert.Equal(DeviceAccess.ReadWrite, AccessRules.AccessTo(token, device, _project));

        // The same device id, were it moved to another tree, is out of reach.
        Assert.Equal(DeviceAccess.None, AccessRules.AccessTo(token, device, _other));
        Assert.Equal(DeviceAccess.None, AccessRules.AccessTo(token, DeviceId.New(), _project));
    }

    [Fact]
    public void Device_access_is_the_stronger_of_role_and_listing()
    {
        var device = DeviceId.New();
        Assert.Equal(DeviceAccess.ReadWrite, AccessRules.AccessTo(Scoped("team", WorkspaceRole.Editor, new DeviceGrant(device, DeviceAccess.Read)), device, _team));
        Assert.Equal(DeviceAccess.ReadWrite, AccessRules.AccessTo(Scoped("team", WorkspaceRole.Viewer, new DeviceGrant(device, DeviceAccess.ReadWrite)), device, _team));
        Assert.Equal(DeviceAccess.Read, AccessRules.AccessTo(User(("team", WorkspaceRole.Viewer)), device, _team));
    }

    [Theory]
    [InlineData(WorkspaceRole.Viewer, DeviceAccess.Read)]
    [InlineData(WorkspaceRole.Editor, DeviceAccess.ReadWrite)]
    [InlineData(WorkspaceRole.Admin, DeviceAccess.ReadWrite)]
    [InlineData(WorkspaceRole.Owner, DeviceAccess.ReadWrite)]
    [InlineData(WorkspaceRole.None, DeviceAccess.None)]
    public void Roles_map_to_device_access(WorkspaceRole role, DeviceAccess expected) => Assert.Equal(expected, AccessRules.ForRole(role));

    [Fact]
    public void Nobody_grants_above_their_own_role_or_access()
    {
        foreach (var held in Enum.GetValues<WorkspaceRole>())
        {
            foreach (var granted in Enum.GetValues<WorkspaceRole>())
            {
                Assert.Equal(granted <= held, AccessRules.MayGrant(held, granted));
            }
        }

        Assert.False(AccessRules.MayGrant(DeviceAccess.Read, DeviceAccess.ReadWrite));
        Assert.True(AccessRules.MayGrant(DeviceAccess.ReadWrite, DeviceAccess.Read));
        Assert.False(AccessRules.MayGrant(DeviceAccess.None, DeviceAccess.Read));
    }

    [Fact]
    public void Only_admins_and_owners_remove_members_up_to_their_own_role()
    {
        Assert.False(AccessRules.MayRemove(WorkspaceRole.Editor, WorkspaceRole.Viewer));
        Assert.True(AccessRules.MayRemove(WorkspaceRole.Admin, WorkspaceRole.Editor));
        Assert.True(AccessRules.MayRemove(WorkspaceRole.Admin, WorkspaceRole.Admin));
        Assert.False(AccessRules.MayRemove(WorkspaceRole.Admin, WorkspaceRole.Owner));
        Assert.True(AccessRules.MayRemove(WorkspaceRole.Owner, WorkspaceRole.Owner));
    }

    [Fact]
    public void A_stored_token_is_refused_once_revoked_disabled_expired_or_rotated_out()
    {
        var now = new DateTimeOffset(2026, 11, 29, 6, 0, 0, TimeSpan.Zero);
        var token = Record("team", WorkspaceRole.Viewer);
        Assert.Equal(AuthenticationResult.Ok, AccessRules.Status(token, token.Hash, now));
        Assert.Equal(AuthenticationResult.Revoked, AccessRules.Status(token with { RevokedAt = now }, token.Hash, now));
        Assert.Equal(AuthenticationResult.Disabled, AccessRules.Status(token with { DisabledAt = now.AddSeconds(-1) }, token.Hash, now));
        Assert.Equal(AuthenticationResult.Expired, AccessRules.Status(token with { ExpiresAt = now }, token.Hash, now));

        var fresh = AccessToken.New().Hash;
        var rotated = token with { Hash = fresh, Rotation = new TokenRotation(token.Hash, now.AddSeconds(30)) };
        Assert.Equal(AuthenticationResult.Ok, AccessRules.Status(rotated, token.Hash, now));
        Assert.Equal(AuthenticationResult.Expired, AccessRules.Status(rotated, token.Hash, now.AddSeconds(30)));
        Assert.Equal(AuthenticationResult.Ok, AccessRules.Status(rotated, fresh, now.AddDays(1)));
    }

    private static UserCaller User(params (string Workspace, WorkspaceRole Role)[] memberships) =>
        new("usr_1", "tok_1", memberships.ToDictionary(m => m.Workspace, m => m.Role, StringComparer.Ordinal));

    private static ScopedCaller Scoped(string workspace, WorkspaceRole role, params DeviceGrant[] devices) => new(Record(workspace, role, devices));

    private static TokenRecord Record(string workspace, WorkspaceRole role, params DeviceGrant[] devices) => new()
    {
        Id = "tok_" + Guid.NewGuid().ToString("N"),
        Kind = TokenKind.Scoped,
        Hash = AccessToken.New().Hash,
        Name = "t",
        WorkspaceId = workspace,
        Role = role,
        Devices = [.. devices],
        CreatedAt = DateTimeOffset.UnixEpoch,
    };
}
