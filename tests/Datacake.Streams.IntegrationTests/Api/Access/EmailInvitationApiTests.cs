using System.Net;
using System.Text.Json;
using Datacake.Streams.Problems;

namespace Datacake.Streams.IntegrationTests.Api.Access;

/// <summary>
/// Invitations by e-mail through the real executable: the answer is the same whether the e-mail is a user's (of this
/// tenant, of another, or of nobody yet); the user who has the e-mail, or is created with it later, sees the
/// invitation under <c>GET /v1/me/invitations</c> and accepts it; nobody else sees or accepts it.
/// </summary>
public sealed class EmailInvitationApiTests(AccessApiHost host) : IClassFixture<AccessApiHost>
{
    private readonly ApiClient _api = host.Api;

    [Fact]
    public async Task The_answer_is_the_same_for_an_existing_user_another_tenants_user_and_an_unknown_e_mail()
    {
        var a = await host.CreateTenantAsync("mail-same");
        var b = await host.CreateTenantAsync("mail-other");
        var invitations = $"/v1/workspaces/{a.Workspace}/invitations";
        var emails = new[] { $"guest-{a.Label}@example.test", $"{b.Label}@example.test", $"nobody-{a.Label}@example.test" };

        var answers = new List<ApiResponse>();
        foreach (var email in emails)
        {
            answers.Add(await _api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, invitations, a.Token, new { email, role = "viewer" }));
        }

        // Same properties, same status; the e-mail echoed, no user id, nothing of B (its user id, its workspace).
        var shapes = answers.Select(r => string.Join(',', r.Json.EnumerateObject().Select(p => p.Name))).Distinct().ToList();
        Assert.Single(shapes);
        foreach (var (answer, email) in answers.Zip(emails))
        {
            Assert.False(answer.Json.TryGetProperty("userId", out _), answer.Body);
            Assert.Equal(email, answer.Str("email"));
            Assert.Equal("pending", answer.Str("status"));
            Assert.DoesNotContain(b.UserId, answer.Body, StringComparison.Ordinal);
            Assert.DoesNotContain(b.Workspace, answer.Body, StringComparison.Ordinal);
        }

        // The admins' list shows the e-mails as invited, and still no user ids for them.
        var listed = (await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, invitations, a.Token)).Json.EnumerateArray()
            .Where(i => i.TryGetProperty("email", out _)).ToList();
        Assert.Equal(emails.Order(StringComparer.Ordinal), listed.Select(i => i.GetProperty("email").GetString()!).Order(StringComparer.Ordinal));
        Assert.All(listed, i => Assert.False(i.TryGetProperty("userId", out _)));

        // Bad input: problems, nothing made.
        var before = (await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, invitations, a.Token)).Json.GetArrayLength();
        foreach (var bad in new object[]
        {
            new { email = "not-an-address", role = "viewer" },
            new { email = "@example.test", role = "viewer" },
            new { email = new string('x', 250) + "@example.test", role = "viewer" },
            new { email = emails[2], userId = a.GuestId, role = "viewer" },
            new { email = emails[2], role = "emperor" },
        })
        {
            var refused = await _api.ExpectAsync(HttpStatusCode.BadRequest, HttpMethod.Post, invitations, a.Token, bad);
            Assert.StartsWith("application/problem+json", refused.Message.Content.Headers.ContentType?.ToString(), StringComparison.Ordinal);
        }

        Assert.Equal(before, (await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, invitations, a.Token)).Json.GetArrayLength());

        // As by id: no role above one's own, and a viewer invites nobody.
        var viewer = (await _api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/workspaces/{a.Workspace}/tokens", a.Token, new { name = "v", role = "viewer" })).Str("token");
        await _api.ExpectAsync(HttpStatusCode.Forbidden, HttpMethod.Post, invitations, viewer, new { email = emails[2], role = "viewer" });
        await _api.ExpectAsync(HttpStatusCode.Forbidden, HttpMethod.Post, invitations, a.AdminToken, new { email = emails[2], role = "owner" });
        await _api.ExpectAsync(HttpStatusCode.NotFound, HttpMethod.Post, $"/v1/workspaces/{b.Workspace}/invitations", a.Token, new { email = emails[2], role = "viewer" });
    }

    [Fact]
    public async Task An_existing_user_and_a_user_created_later_with_the_e_mail_see_the_invitation_and_accept_it_and_nobody_else_can()
    {
        var a = await host.CreateTenantAsync("mail-accept");
        var b = await host.CreateTenantAsync("mail-stranger");
        var invitations = $"/v1/workspaces/{a.Workspace}/invitations";

        // An existing user, invited by their e-mail written in other case and with spaces around it.
        var guestEmail = $"guest-{a.Label}@example.test";
        var toGuest = (await _api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, invitations, a.Token, new { email = $"  {guestEmail.ToUpperInvariant()} ", role = "editor" })).Str("id");

        // An e-mail that is nobody's yet.
        var laterEmail = $"later-{a.Label}@example.test";
        var toLater = (await _api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, invitations, a.AdminToken, new { email = laterEmail, role = "viewer" })).Str("id");

        // The guest sees theirs (and the one by id from the fixture), with the workspace's name and the role.
        var mine = await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/v1/me/invitations", a.GuestToken);
        var seen = mine.Json.EnumerateArray().ToList();
        Assert.Equal(new[] { a.Invitation, toGuest }.Order(StringComparer.Ordinal), seen.Select(i => i.GetProperty("id").GetString()!).Order(StringComparer.Ordinal));
        var byMail = Assert.Single(seen, i => i.GetProperty("id").GetString() == toGuest);
        Assert.Equal(a.Workspace, byMail.GetProperty("workspaceId").GetString());
        Assert.False(string.IsNullOrEmpty(byMail.GetProperty("workspaceName").GetString()));
        Assert.Equal("editor", byMail.GetProperty("role").GetString());
        Assert.Equal("pending", byMail.GetProperty("status").GetString());
        Assert.DoesNotContain(toLater, mine.Body, StringComparison.Ordinal);

        // Nobody else sees or accepts either: another tenant's users, the inviter's own tokens, the operator.
        foreach (var stranger in new[] { b.Token, b.GuestToken })
        {
            var theirs = await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/v1/me/invitations", stranger);
            Assert.DoesNotContain(toGuest, theirs.Body, StringComparison.Ordinal);
            Assert.DoesNotContain(toLater, theirs.Body, StringComparison.Ordinal);
            foreach (var id in new[] { toGuest, toLater })
            {
                var refused = await _api.ExpectAsync(HttpStatusCode.NotFound, HttpMethod.Post, $"/v1/invitations/{id}/accept", stranger);
                Assert.DoesNotContain(a.Workspace, refused.Body, StringComparison.Ordinal);
                await _api.ExpectAsync(HttpStatusCode.NotFound, HttpMethod.Delete, $"/v1/invitations/{id}", stranger);
            }
        }

        await _api.ExpectAsync(HttpStatusCode.NotFound, HttpMethod.Post, $"/v1/invitations/{toGuest}/accept", a.Token);
        await _api.ExpectAsync(HttpStatusCode.Forbidden, HttpMethod.Get, "/v1/me/invitations", a.AdminToken);
        await _api.ExpectAsync(HttpStatusCode.Forbidden, HttpMethod.Get, "/v1/me/invitations", host.OperatorToken);

        // The guest accepts: an editor of the workspace, shown by id (and e-mail to the owner) among the members.
        var accepted = await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Post, $"/v1/invitations/{toGuest}/accept", a.GuestToken);
        Assert.Equal("editor", accepted.Str("role"));
        await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/v1/workspaces/{a.Workspace}", a.GuestToken);
        var members = (await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/v1/workspaces/{a.Workspace}/members", a.Token)).Json.EnumerateArray().ToList();
        var guest = Assert.Single(members, m => m.GetProperty("userId").GetString() == a.GuestId);
        Assert.Equal("editor", guest.GetProperty("role").GetString());
        Assert.Equal(guestEmail, guest.GetProperty("email").GetString());
        await _api.ExpectAsync(HttpStatusCode.NotFound, HttpMethod.Post, $"/v1/invitations/{toGuest}/accept", a.GuestToken);
        Assert.DoesNotContain(toGuest, (await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/v1/me/invitations", a.GuestToken)).Body, StringComparison.Ordinal);

        // The user created later with the e-mail (by the operator, as every user) finds the invitation waiting.
        var later = await _api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, "/v1/users", host.OperatorToken, new { email = laterEmail });
        var waiting = await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/v1/me/invitations", later.Str("token"));
        Assert.Equal(toLater, Assert.Single(waiting.Json.EnumerateArray()).GetProperty("id").GetString());
        await _api.ExpectAsync(HttpStatusCode.NotFound, HttpMethod.Get, $"/v1/workspaces/{a.Workspace}", later.Str("token"));
        await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Post, $"/v1/invitations/{toLater}/accept", later.Str("token"));
        await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/v1/devices/{a.Device}", later.Str("token"));
        var me = await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/v1/me", later.Str("token"));
        Assert.Contains(me.Json.GetProperty("workspaces").EnumerateArray(), w => w.GetProperty("id").GetString() == a.Workspace && w.GetProperty("role").GetString() == "viewer");
        Assert.Equal(0, (await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/v1/me/invitations", later.Str("token"))).Json.GetArrayLength());
    }

    [Fact]
    public async Task The_invitee_by_e_mail_may_decline_and_a_declined_invitation_grants_nothing()
    {
        var a = await host.CreateTenantAsync("mail-decline");
        var email = $"guest-{a.Label}@example.test";
        var invitation = (await _api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/workspaces/{a.Workspace}/invitations", a.Token, new { email, role = "admin" })).Str("id");

        await _api.ExpectAsync(HttpStatusCode.NoContent, HttpMethod.Delete, $"/v1/invitations/{invitation}", a.GuestToken);
        var refused = await _api.ExpectAsync(HttpStatusCode.NotFound, HttpMethod.Post, $"/v1/invitations/{invitation}/accept", a.GuestToken);
        Assert.Equal(ProblemTypes.NotFound, refused.Str("type"));
        await _api.ExpectAsync(HttpStatusCode.NotFound, HttpMethod.Get, $"/v1/workspaces/{a.Workspace}", a.GuestToken);
        var listed = await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/v1/workspaces/{a.Workspace}/invitations", a.Token);
        Assert.DoesNotContain(invitation, listed.Body, StringComparison.Ordinal);
        Assert.DoesNotContain(email, JsonSerializer.Serialize(listed.Json), StringComparison.OrdinalIgnoreCase);
    }
}
