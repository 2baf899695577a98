using System.Net;
using Datacake.Streams.Problems;

namespace Datacake.Streams.IntegrationTests.Api.Access;

/// <summary>
/// <c>PATCH /v1/workspaces/{id}/members/{userId}</c> through the real executable: owners and admins change roles up
/// to their own, the last owner keeps the role, the change is in the workspace's audit trail and takes effect at once,
/// and another tenant can change nothing (404 naming nothing of the workspace).
/// </summary>
public sealed class MemberRoleApiTests(AccessApiHost host) : IClassFixture<AccessApiHost>
{
    private readonly ApiClient _api = host.Api;

    [Fact]
    public async Task Owners_and_admins_change_roles_up_to_their_own_and_the_last_owner_keeps_the_role()
    {
        var t = await host.CreateTenantAsync("role");
        var members = $"/v1/workspaces/{t.Workspace}/members";
        var member = await JoinAsync(t, "member", "viewer");
        var admin = await JoinAsync(t, "admin", "admin");

        // A viewer cannot add a device; made editor by the owner, at once they can.
        await _api.ExpectAsync(HttpStatusCode.Forbidden, HttpMethod.Post, $"/v1/workspaces/{t.Workspace}/devices", member.Token, new { name = "before" });
        var changed = await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Patch, $"{members}/{member.Id}", t.Token, new { role = "editor" });
        Assert.Equal("editor", changed.Str("role"));
        Assert.Equal(member.Id, changed.Str("userId"));
        Assert.Equal(member.Email, changed.Str("email"));
        Assert.Equal("editor", RoleOf(await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, members, t.Token), member.Id));
        await _api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/workspaces/{t.Workspace}/devices", member.Token, new { name = "after" });

        // The change is in the workspace's trail, by the owner, naming the member.
        var audit = await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/v1/workspaces/{t.Workspace}/audit", t.Token);
        Assert.Contains(audit.Json.GetProperty("events").EnumerateArray(), e =>
            e.GetProperty("action").GetString() == "PATCH /v1/workspaces/{id}/members/{userId}"
            && e.GetProperty("actor").GetString() == t.UserId
            && e.GetProperty("target").GetString()!.Contains(member.Id, StringComparison.Ordinal));

        // An editor changes no role, not even their own; a device token reaches no member list.
        await _api.ExpectAsync(HttpStatusCode.Forbidden, HttpMethod.Patch, $"{members}/{member.Id}", member.Token, new { role = "admin" });
        var deviceToken = (await _api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/devices/{t.Device}/tokens", t.Token)).Str("token");
        await _api.ExpectAsync(HttpStatusCode.NotFound, HttpMethod.Patch, $"{members}/{member.Id}", deviceToken, new { role = "viewer" });

        // An admin (user or scoped token) changes roles up to admin: not to owner, and not an owner's.
        await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Patch, $"{members}/{member.Id}", admin.Token, new { role = "admin" });
        await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Patch, $"{members}/{member.Id}", t.AdminToken, new { role = "viewer" });
        await _api.ExpectAsync(HttpStatusCode.Forbidden, HttpMethod.Patch, $"{members}/{member.Id}", admin.Token, new { role = "owner" });
        await _api.ExpectAsync(HttpStatusCode.Forbidden, HttpMethod.Patch, $"{members}/{t.UserId}", admin.Token, new { role = "viewer" });
        Assert.Equal("owner", RoleOf(await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, members, t.Token), t.UserId));

        // Bad input: a problem, nothing changed.
        var invalid = await _api.ExpectAsync(HttpStatusCode.BadRequest, HttpMethod.Patch, $"{members}/{member.Id}", t.Token, new { role = "emperor" });
        Assert.StartsWith("application/problem+json", invalid.Message.Content.Headers.ContentType?.ToString(), StringComparison.Ordinal);
        await _api.ExpectAsync(HttpStatusCode.BadRequest, HttpMethod.Patch, $"{members}/{member.Id}", t.Token, new { });
        await _api.ExpectAsync(HttpStatusCode.NotFound, HttpMethod.Patch, $"{members}/usr_nobody", t.Token, new { role = "viewer" });
        Assert.Equal("viewer", RoleOf(await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, members, t.Token), member.Id));

        // The last owner cannot step down; once another member is owner, they can.
        var last = await _api.ExpectAsync(HttpStatusCode.Conflict, HttpMethod.Patch, $"{members}/{t.UserId}", t.Token, new { role = "admin" });
        Assert.Equal(ProblemTypes.LastOwner, last.Str("type"));
        Assert.Equal("owner", RoleOf(await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, members, t.Token), t.UserId));
        await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Patch, $"{members}/{admin.Id}", t.Token, new { role = "owner" });
        await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Patch, $"{members}/{t.UserId}", t.Token, new { role = "admin" });
        var after = await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, members, admin.Token);
        Assert.Equal("admin", RoleOf(after, t.UserId));
        Assert.Equal("owner", RoleOf(after, admin.Id));
        Assert.Equal(ProblemTypes.LastOwner, (await _api.ExpectAsync(HttpStatusCode.Conflict, HttpMethod.Patch, $"{members}/{admin.Id}", admin.Token, new { role = "viewer" })).Str("type"));
    }

    [Fact]
    public async Task A_second_tenant_changes_no_role_in_a_workspace_it_does_not_reach_and_learns_nothing()
    {
        var a = await host.CreateTenantAsync("role-a");
        var b = await host.CreateTenantAsync("role-b");
        var member = await JoinAsync(a, "member", "viewer");

        foreach (var stranger in new[] { b.Token, b.AdminToken, b.GuestToken })
        {
            foreach (var workspace in new[] { a.Workspace, a.SubWorkspace })
            {
                foreach (var target in new[] { member.Id, a.UserId, b.UserId })
                {
                    var refused = await _api.SendAsync(HttpMethod.Patch, $"/v1/workspaces/{workspace}/members/{target}", stranger, new { role = "owner" });
                    Assert.Equal(HttpStatusCode.NotFound, refused.Status);
                    Assert.Contains(ProblemTypes.NotFound, refused.Body, StringComparison.Ordinal);
                    foreach (var identifier in a.Identifiers.Append(member.Id))
                    {
                        Assert.DoesNotContain(identifier, refused.Body, StringComparison.Ordinal);
                    }
                }
            }
        }

        var members = await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/v1/workspaces/{a.Workspace}/members", a.Token);
        Assert.Equal("viewer", RoleOf(members, member.Id));
        Assert.Equal("owner", RoleOf(members, a.UserId));
        Assert.DoesNotContain(b.UserId, members.Body, StringComparison.Ordinal);
        await _api.ExpectAsync(HttpStatusCode.NotFound, HttpMethod.Get, $"/v1/workspaces/{a.Workspace}", b.Token);

        // B's owner, in B's own workspace, changes B's roles as usual: the refusal above is about reach, not the route.
        await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Post, $"/v1/invitations/{b.Invitation}/accept", b.GuestToken);
        await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Patch, $"/v1/workspaces/{b.Workspace}/members/{b.GuestId}", b.Token, new { role = "editor" });
    }

    private static string? RoleOf(ApiResponse members, string userId) =>
        members.Json.EnumerateArray().Single(m => m.GetProperty("userId").GetString() == userId).GetProperty("role").GetString();

    private async Task<Member> JoinAsync(Tenant t, string label, string role)
    {
        var email = $"{label}-{t.Label}@example.test";
        var user = await _api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, "/v1/users", host.OperatorToken, new { email });
        var invitation = await _api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/workspaces/{t.Workspace}/invitations", t.Token, new { userId = user.Str("id"), role });
        await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Post, $"/v1/invitations/{invitation.Str("id")}/accept", user.Str("token"));
        return new Member(user.Str("id"), user.Str("token"), email);
    }

    private sealed record Member(string Id, string Token, string Email);
}
