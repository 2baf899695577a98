using System.Net;
using System.Text.Json;
using Datacake.Streams.Access;
using Datacake.Streams.IntegrationTests.EndToEnd;
using Datacake.Streams.IntegrationTests.Host.Hosting;
using Datacake.Streams.Problems;

namespace Datacake.Streams.IntegrationTests.Api.Access;

/// <summary>
/// Invitations and member privacy through the real executable: admins list and cancel pending invitations (another
/// tenant gets 404), an invitation whose inviter lost the right (token revoked or disabled, admin removed) grants
/// nothing, and member e-mails go to the workspace's admins and owners only.
/// </summary>
public sealed class InvitationApiTests(AccessApiHost host) : IClassFixture<AccessApiHost>
{
    private readonly ApiClient _api = host.Api;

    [Fact]
    public async Task Admins_list_and_cancel_pending_invitations_and_another_tenant_gets_404()
    {
        var a = await host.CreateTenantAsync("inv-list-a");
        var b = await host.CreateTenantAsync("inv-list-b");
        var invitations = $"/v1/workspaces/{a.Workspace}/invitations";

        foreach (var admin in new[] { a.Token, a.AdminToken })
        {
            var listed = (await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, invitations, admin)).Json.EnumerateArray().ToList();
            var pending = Assert.Single(listed, i => i.GetProperty("id").GetString() == a.Invitation);
            Assert.Equal(a.GuestId, pending.GetProperty("userId").GetString());
            Assert.Equal("viewer", pending.GetProperty("role").GetString());
            Assert.Equal("pending", pending.GetProperty("status").GetString());
            Assert.Equal(a.UserId, pending.GetProperty("invitedBy").GetProperty("userId").GetString());
            Assert.StartsWith("tok_", pending.GetProperty("invitedBy").GetProperty("tokenId").GetString(), StringComparison.Ordinal);
            Assert.Equal(TimeSpan.FromDays(7), pending.GetProperty("expiresAt").GetDateTimeOffset() - pending.GetProperty("createdAt").GetDateTimeOffset());
            Assert.DoesNotContain("@", JsonSerializer.Serialize(listed), StringComparison.Ordinal);
        }

        // Another tenant, with its owner's or its admin token: 404 for the list and the invitation, naming nothing of A.
        foreach (var stranger in new[] { b.Token, b.AdminToken })
        {
            foreach (var response in new[]
            {
                await _api.GetAsync(invitations, stranger),
                await _api.DeleteAsync($"/v1/invitations/{a.Invitation}", stranger),
                await _api.GetAsync($"/v1/workspaces/{a.SubWorkspace}/invitations", stranger),
            })
            {
                Assert.Equal(HttpStatusCode.NotFound, response.Status);
                Assert.Contains(ProblemTypes.NotFound, response.Body, StringComparison.Ordinal);
                foreach (var identifier in a.Identifiers)
                {
                    Assert.DoesNotContain(identifier, response.Body, StringComparison.Ordinal);
                }
            }
        }

        // A viewer of A may not list or cancel; a device token reaches no workspace.
        var viewer = (await _api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/workspaces/{a.Workspace}/tokens", a.Token, new { name = "v", role = "viewer" })).Str("token");
        await _api.ExpectAsync(HttpStatusCode.Forbidden, HttpMethod.Get, invitations, viewer);
        await _api.ExpectAsync(HttpStatusCode.Forbidden, HttpMethod.Delete, $"/v1/invitations/{a.Invitation}", viewer);
        var deviceToken = (await _api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/devices/{a.Device}/tokens", a.Token)).Str("token");
        await _api.ExpectAsync(HttpStatusCode.NotFound, HttpMethod.Get, invitations, deviceToken);
        await _api.ExpectAsync(HttpStatusCode.NotFound, HttpMethod.Delete, $"/v1/invitations/{a.Invitation}", deviceToken);

        // The scoped admin token cancels; the invitation is gone from the list and cannot be accepted.
        await _api.ExpectAsync(HttpStatusCode.NoContent, HttpMethod.Delete, $"/v1/invitations/{a.Invitation}", a.AdminToken);
        var after = await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, invitations, a.Token);
        Assert.DoesNotContain(a.Invitation, after.Body, StringComparison.Ordinal);
        await _api.ExpectAsync(HttpStatusCode.NotFound, HttpMethod.Post, $"/v1/invitations/{a.Invitation}/accept", a.GuestToken);
        await _api.ExpectAsync(HttpStatusCode.NotFound, HttpMethod.Delete, $"/v1/invitations/{a.Invitation}", a.Token);
        await _api.ExpectAsync(HttpStatusCode.NotFound, HttpMethod.Get, $"/v1/workspaces/{a.Workspace}", a.GuestToken);

        // B's own invitation is untouched by all of it, and B's invitee may decline it.
        Assert.Contains(b.Invitation, (await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/v1/workspaces/{b.Workspace}/invitations", b.Token)).Body, StringComparison.Ordinal);
        await _api.ExpectAsync(HttpStatusCode.NoContent, HttpMethod.Delete, $"/v1/invitations/{b.Invitation}", b.GuestToken);
        await _api.ExpectAsync(HttpStatusCode.NotFound, HttpMethod.Post, $"/v1/invitations/{b.Invitation}/accept", b.GuestToken);
    }

    [Fact]
    public async Task An_invitation_from_a_since_revoked_or_disabled_admin_token_cannot_be_accepted()
    {
        var t = await host.CreateTenantAsync("inv-revoked");

        // While the admin token is good, its invitation is accepted (the control).
        var welcome = await NewUserAsync(t, "welcome");
        var good = await InviteAsync(t.Workspace, t.AdminToken, welcome.Id, "admin");
        await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Post, $"/v1/invitations/{good}/accept", welcome.Token);

        var planted = await NewUserAsync(t, "planted");
        var byRevoked = await InviteAsync(t.Workspace, t.AdminToken, planted.Id, "admin");
        await _api.ExpectAsync(HttpStatusCode.NoContent, HttpMethod.Delete, $"/v1/tokens/{t.AdminTokenId}", t.Token);
        await AssertRefusedAsync(t, byRevoked, planted);

        var second = await _api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/workspaces/{t.Workspace}/tokens", t.Token, new { name = "a2", role = "admin" });
        var byDisabled = await InviteAsync(t.Workspace, second.Str("token"), planted.Id, "editor");
        await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Post, $"/v1/tokens/{second.Str("id")}/disable", t.Token);
        await AssertRefusedAsync(t, byDisabled, planted);
    }

    [Fact]
    public async Task An_invitation_from_a_since_removed_admin_cannot_be_accepted()
    {
        var t = await host.CreateTenantAsync("inv-removed");
        var admin = await NewUserAsync(t, "admin");
        await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Post, $"/v1/invitations/{await InviteAsync(t.Workspace, t.Token, admin.Id, "admin")}/accept", admin.Token);

        var planted = await NewUserAsync(t, "planted");
        var byAdmin = await InviteAsync(t.Workspace, admin.Token, planted.Id, "admin");
        var listed = await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/v1/workspaces/{t.Workspace}/invitations", t.Token);
        Assert.Equal(admin.Id, Assert.Single(listed.Json.EnumerateArray(), i => i.GetProperty("id").GetString() == byAdmin).GetProperty("invitedBy").GetProperty("userId").GetString());

        await _api.ExpectAsync(HttpStatusCode.NoContent, HttpMethod.Delete, $"/v1/workspaces/{t.Workspace}/members/{admin.Id}", t.Token);
        await AssertRefusedAsync(t, byAdmin, planted);
        await _api.ExpectAsync(HttpStatusCode.NotFound, HttpMethod.Get, $"/v1/workspaces/{t.Workspace}", admin.Token);
    }

    [Fact]
    public async Task An_invitation_made_with_a_user_token_since_revoked_cannot_be_accepted_though_its_user_is_still_admin()
    {
        var t = await host.CreateTenantAsync("inv-usertoken");
        var admin = await NewUserAsync(t, "admin");
        await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Post, $"/v1/invitations/{await InviteAsync(t.Workspace, t.Token, admin.Id, "admin")}/accept", admin.Token);

        var planted = await NewUserAsync(t, "planted");
        var byLeakedToken = await InviteAsync(t.Workspace, admin.Token, planted.Id, "admin");
        var tokenId = (await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/v1/me/tokens", admin.Token)).Json[0].GetProperty("id").GetString()!;
        await _api.ExpectAsync(HttpStatusCode.NoContent, HttpMethod.Delete, $"/v1/tokens/{tokenId}", admin.Token);

        await AssertRefusedAsync(t, byLeakedToken, planted);
        var members = await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/v1/workspaces/{t.Workspace}/members", t.Token);
        Assert.Contains(members.Json.EnumerateArray(), m => m.GetProperty("userId").GetString() == admin.Id && m.GetProperty("role").GetString() == "admin");
    }

    [Fact]
    public async Task Viewers_editors_and_scoped_tokens_see_member_ids_and_roles_without_emails_admins_see_them()
    {
        var t = await host.CreateTenantAsync("inv-privacy");
        await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Post, $"/v1/invitations/{t.Invitation}/accept", t.GuestToken);
        var editor = await NewUserAsync(t, "editor");
        await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Post, $"/v1/invitations/{await InviteAsync(t.Workspace, t.Token, editor.Id, "editor")}/accept", editor.Token);
        var admin = await NewUserAsync(t, "admin");
        await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Post, $"/v1/invitations/{await InviteAsync(t.Workspace, t.Token, admin.Id, "admin")}/accept", admin.Token);
        var viewerToken = (await _api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/workspaces/{t.Workspace}/tokens", t.Token, new { name = "v", role = "viewer" })).Str("token");

        var members = $"/v1/workspaces/{t.Workspace}/members";
        foreach (var (who, token) in new[] { ("viewer", t.GuestToken), ("editor", editor.Token), ("viewer token", viewerToken), ("admin token", t.AdminToken) })
        {
            var response = await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, members, token);
            Assert.False(response.Body.Contains('@', StringComparison.Ordinal), $"{who} sees e-mails: {response.Body}");
            var listed = response.Json.EnumerateArray().ToList();
            Assert.Equal(4, listed.Count);
            var ids = listed.Select(m => m.GetProperty("userId").GetString()!).ToList();
            Assert.Equal(ids.Order(StringComparer.Ordinal), ids);
            Assert.All(listed, m => Assert.False(m.TryGetProperty("email", out _), $"{who} sees an email property"));
            Assert.Contains(listed, m => m.GetProperty("userId").GetString() == t.UserId && m.GetProperty("role").GetString() == "owner");
            Assert.Contains(listed, m => m.GetProperty("userId").GetString() == editor.Id && m.GetProperty("role").GetString() == "editor");
        }

        // Also below the workspace: a sub-workspace's members are listed to its inherited viewers without e-mails.
        var sub = await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/v1/workspaces/{t.SubWorkspace}/members", t.GuestToken);
        Assert.DoesNotContain("@", sub.Body, StringComparison.Ordinal);

        // A device token reaches no member list at all.
        var deviceToken = (await _api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/devices/{t.Device}/tokens", t.Token)).Str("token");
        await _api.ExpectAsync(HttpStatusCode.NotFound, HttpMethod.Get, members, deviceToken);

        // Owners and admins, signed in as themselves, see every member's e-mail.
        foreach (var token in new[] { t.Token, admin.Token })
        {
            var listed = (await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, members, token)).Json.EnumerateArray().ToList();
            Assert.Equal($"{t.Label}@example.test", listed.Single(m => m.GetProperty("userId").GetString() == t.UserId).GetProperty("email").GetString());
            Assert.Equal($"guest-{t.Label}@example.test", listed.Single(m => m.GetProperty("userId").GetString() == t.GuestId).GetProperty("email").GetString());
            Assert.Equal($"editor-{t.Label}@example.test", listed.Single(m => m.GetProperty("userId").GetString() == editor.Id).GetProperty("email").GetString());
        }

        // Everyone still reads their own e-mail.
        Assert.Equal($"guest-{t.Label}@example.test", (await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/v1/me", t.GuestToken)).Str("email"));
    }

    private async Task AssertRefusedAsync(Tenant t, string invitation, NewUser invitee)
    {
        var refused = await _api.ExpectAsync(HttpStatusCode.Forbidden, HttpMethod.Post, $"/v1/invitations/{invitation}/accept", invitee.Token);
        Assert.Equal(ProblemTypes.InviterLostRight, refused.Str("type"));
        Assert.StartsWith("application/problem+json", refused.Message.Content.Headers.ContentType?.ToString(), StringComparison.Ordinal);

        // Nothing granted: the invitee reaches nothing, is no member, and the invitation is still pending (not used).
        await _api.ExpectAsync(HttpStatusCode.NotFound, HttpMethod.Get, $"/v1/workspaces/{t.Workspace}", invitee.Token);
        await _api.ExpectAsync(HttpStatusCode.NotFound, HttpMethod.Get, $"/v1/devices/{t.Device}", invitee.Token);
        var members = await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/v1/workspaces/{t.Workspace}/members", t.Token);
        Assert.DoesNotContain(invitee.Id, members.Body, StringComparison.Ordinal);
        var me = await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/v1/me", invitee.Token);
        Assert.DoesNotContain(t.Workspace, me.Body, StringComparison.Ordinal);
    }

    private async Task<string> InviteAsync(string workspace, string token, string userId, string role) =>
        (await _api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/workspaces/{workspace}/invitations", token, new { userId, role })).Str("id");

    private async Task<NewUser> NewUserAsync(Tenant t, string label)
    {
        var user = await _api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, "/v1/users", host.OperatorToken, new { email = $"{label}-{t.Label}@example.test" });
        return new NewUser(user.Str("id"), user.Str("token"));
    }

    private sealed record NewUser(string Id, string Token);
}

/// <summary>The real executable with <c>Invitations__Lifetime</c> at 2 seconds, so that an invitation expires within a test.</summary>
public sealed class ShortInvitationHost() : OperatedHost(new Dictionary<string, string> { ["Invitations__Lifetime"] = "00:00:02" })
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(2);
}

public sealed class InvitationExpiryApiTests(ShortInvitationHost host) : IClassFixture<ShortInvitationHost>
{
    private readonly ApiClient _api = host.Api;

    [Fact]
    public async Task An_expired_invitation_is_refused_with_a_problem_and_grants_nothing()
    {
        var unique = Guid.NewGuid().ToString("N")[..10];
        var owner = await _api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, "/v1/users", host.OperatorToken, new { email = $"owner-{unique}@example.test" });
        var workspace = (await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/v1/me", owner.Str("token"))).Str("homeWorkspaceId");
        var guest = await _api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, "/v1/users", host.OperatorToken, new { email = $"guest-{unique}@example.test" });
        var invitation = await _api.ExpectAsync(
            HttpStatusCode.Created, HttpMethod.Post, $"/v1/workspaces/{workspace}/invitations", owner.Str("token"), new { userId = guest.Str("id"), role = "editor" });
        Assert.Equal(ShortInvitationHost.Lifetime, invitation.Json.GetProperty("expiresAt").GetDateTimeOffset() - invitation.Json.GetProperty("createdAt").GetDateTimeOffset());

        // The host's own clock decides: wait (Until's deadline) until its listing calls the invitation expired.
        var listing = $"/v1/workspaces/{workspace}/invitations";
        await Until.Async(
            () => _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, listing, owner.Str("token")),
            answer => answer.Json[0].GetProperty("status").GetString() == "expired",
            "the invitation showing as expired");

        var refused = await _api.ExpectAsync(HttpStatusCode.Gone, HttpMethod.Post, $"/v1/invitations/{invitation.Str("id")}/accept", guest.Str("token"));
        Assert.Equal(ProblemTypes.InvitationExpired, refused.Str("type"));
        Assert.Equal(invitation.Json.GetProperty("expiresAt").GetDateTimeOffset(), refused.Json.GetProperty("expiresAt").GetDateTimeOffset());

        await _api.ExpectAsync(HttpStatusCode.NotFound, HttpMethod.Get, $"/v1/workspaces/{workspace}", guest.Str("token"));
        var members = await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/v1/workspaces/{workspace}/members", owner.Str("token"));
        Assert.DoesNotContain(guest.Str("id"), members.Body, StringComparison.Ordinal);

        // The admin can still cancel the expired invitation (tidying the list).
        await _api.ExpectAsync(HttpStatusCode.NoContent, HttpMethod.Delete, $"/v1/invitations/{invitation.Str("id")}", owner.Str("token"));
        Assert.Equal(0, (await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, listing, owner.Str("token"))).Json.GetArrayLength());
    }
}
