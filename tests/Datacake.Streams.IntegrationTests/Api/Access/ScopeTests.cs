using System.Net;

namespace Datacake.Streams.IntegrationTests.Api.Access;

/// <summary>What each kind of caller may and may not do, through the real host.</summary>
public sealed class ScopeTests(AccessApiHost host) : IClassFixture<AccessApiHost>
{
    private readonly ApiClient _api = host.Api;

    [Fact]
    [Trait("Reliability", "scope-matrix")]
    public async Task A_read_token_reads_but_cannot_write_or_manage()
    {
        var t = await host.CreateTenantAsync("reader");
        var read = await _api.ExpectAsync(
            HttpStatusCode.Created, HttpMethod.Post, $"/v1/workspaces/{t.Workspace}/tokens", t.Token, new { name = "r", devices = new[] { new { id = t.Device, access = "read" } } });
        var token = read.Str("token");

        await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/v1/devices/{t.Device}", token);
        await _api.ExpectAsync(HttpStatusCode.Forbidden, HttpMethod.Patch, $"/v1/devices/{t.Device}", token, new { name = "renamed" });
        await _api.ExpectAsync(HttpStatusCode.Forbidden, HttpMethod.Delete, $"/v1/devices/{t.Device}", token);
        await _api.ExpectAsync(HttpStatusCode.NotFound, HttpMethod.Post, $"/v1/workspaces/{t.Workspace}/devices", token, new { name = "x" });

        // Devices the token does not list stay invisible.
        await _api.ExpectAsync(HttpStatusCode.NotFound, HttpMethod.Get, $"/v1/devices/{t.SubDevice}", token);
        var device = await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/v1/devices/{t.Device}", t.Token);
        Assert.Equal($"Dev-{t.Label}", device.Str("name"));
    }

    [Fact]
    [Trait("Reliability", "scope-matrix")]
    public async Task A_device_token_cannot_manage_anything()
    {
        var t = await host.CreateTenantAsync("device");
        var deviceToken = (await _api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/devices/{t.Device}/tokens", t.Token)).Str("token");

        await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/v1/devices/{t.Device}", deviceToken);
        await _api.ExpectAsync(HttpStatusCode.Forbidden, HttpMethod.Post, $"/v1/devices/{t.Device}/tokens", deviceToken);
        await _api.ExpectAsync(HttpStatusCode.Forbidden, HttpMethod.Patch, $"/v1/devices/{t.Device}", deviceToken, new { name = "x" });
        await _api.ExpectAsync(HttpStatusCode.NotFound, HttpMethod.Post, $"/v1/workspaces/{t.Workspace}/tokens", deviceToken, new { name = "x", role = "viewer" });
        await _api.ExpectAsync(HttpStatusCode.NotFound, HttpMethod.Get, $"/v1/workspaces/{t.Workspace}/tokens", deviceToken);
        await _api.ExpectAsync(HttpStatusCode.NotFound, HttpMethod.Post, $"/v1/tokens/{t.AdminTokenId}/rotate", deviceToken);
        await _api.ExpectAsync(HttpStatusCode.NotFound, HttpMethod.Post, $"/v1/workspaces/{t.Workspace}/invitations", deviceToken, new { userId = t.GuestId, role = "viewer" });
        await _api.ExpectAsync(HttpStatusCode.Forbidden, HttpMethod.Post, "/v1/workspaces", deviceToken, new { name = "mine" });
    }

    [Fact]
    [Trait("Reliability", "scope-matrix")]
    public async Task A_viewer_cannot_invite_and_nobody_grants_above_their_own_role()
    {
        var t = await host.CreateTenantAsync("roles");
        await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Post, $"/v1/invitations/{t.Invitation}/accept", t.GuestToken);

        var viewer = t.GuestToken;
        await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/v1/workspaces/{t.Workspace}/devices", viewer);
        await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/v1/workspaces/{t.SubWorkspace}", viewer);
        await _api.ExpectAsync(HttpStatusCode.Forbidden, HttpMethod.Post, $"/v1/workspaces/{t.Workspace}/invitations", viewer, new { userId = t.UserId, role = "viewer" });
        await _api.ExpectAsync(HttpStatusCode.Forbidden, HttpMethod.Post, $"/v1/workspaces/{t.Workspace}/devices", viewer, new { name = "x" });
        await _api.ExpectAsync(HttpStatusCode.Forbidden, HttpMethod.Post, $"/v1/workspaces/{t.Workspace}/tokens", viewer, new { name = "x", role = "viewer" });

        // The scoped admin token may invite admins, not owners; nor mint an owner token.
        var other = await _api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, "/v1/users", host.OperatorToken, new { email = $"o-{t.Label}@example.test" });
        await _api.ExpectAsync(HttpStatusCode.Forbidden, HttpMethod.Post, $"/v1/workspaces/{t.Workspace}/invitations", t.AdminToken, new { userId = other.Str("id"), role = "owner" });
        await _api.ExpectAsync(HttpStatusCode.Forbidden, HttpMethod.Post, $"/v1/workspaces/{t.Workspace}/tokens", t.AdminToken, new { name = "x", role = "owner" });
        await _api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/workspaces/{t.Workspace}/invitations", t.AdminToken, new { userId = other.Str("id"), role = "admin" });

        // A read-write device grant needs read-write access of the creator: a viewer-role token cannot hand it out.
        var viewerToken = (await _api.ExpectAsync(
            HttpStatusCode.Created, HttpMethod.Post, $"/v1/workspaces/{t.Workspace}/tokens", t.Token, new { name = "v", role = "viewer" })).Str("token");
        await _api.ExpectAsync(HttpStatusCode.Forbidden, HttpMethod.Post, $"/v1/workspaces/{t.Workspace}/tokens", viewerToken, new { name = "x", devices = new[] { new { id = t.Device, access = "read-write" } } });
    }

    [Fact]
    public async Task The_operator_creates_users_and_reads_no_workspace_data()
    {
        var t = await host.CreateTenantAsync("operator");
        var op = host.OperatorToken;
        foreach (var (method, path) in new[]
        {
            (HttpMethod.Get, "/v1/workspaces"),
            (HttpMethod.Get, $"/v1/workspaces/{t.Workspace}"),
            (HttpMethod.Get, $"/v1/workspaces/{t.Workspace}/devices"),
            (HttpMethod.Get, $"/v1/workspaces/{t.Workspace}/members"),
            (HttpMethod.Get, $"/v1/workspaces/{t.Workspace}/tokens"),
            (HttpMethod.Get, $"/v1/workspaces/{t.Workspace}/webhooks"),
            (HttpMethod.Get, $"/v1/workspaces/{t.Workspace}/decoders"),
            (HttpMethod.Get, $"/v1/devices/{t.Device}"),
            (HttpMethod.Post, $"/v1/devices/{t.Device}/tokens"),
            (HttpMethod.Post, $"/v1/tokens/{t.AdminTokenId}/disable"),
            (HttpMethod.Delete, $"/v1/webhooks/{t.Webhook}"),
            (HttpMethod.Post, "/v1/workspaces"),
        })
        {
            var response = await _api.SendAsync(method, path, op, method == HttpMethod.Post ? new { name = "x" } : null);
            Assert.True(response.Status == HttpStatusCode.Forbidden, $"{method} {path}: {(int)response.Status} {response.Body}");
            Assert.Contains("operator-no-workspace-data", response.Body, StringComparison.Ordinal);
        }

        // Users cannot create users.
        await _api.ExpectAsync(HttpStatusCode.Forbidden, HttpMethod.Post, "/v1/users", t.Token, new { email = "x@example.test" });
    }

    [Fact]
    [Trait("Reliability", "scope-matrix")]
    public async Task A_removed_member_loses_access_at_once()
    {
        var t = await host.CreateTenantAsync("removal");
        await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Post, $"/v1/invitations/{t.Invitation}/accept", t.GuestToken);
        await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/v1/devices/{t.Device}", t.GuestToken);

        await _api.ExpectAsync(HttpStatusCode.NoContent, HttpMethod.Delete, $"/v1/workspaces/{t.Workspace}/members/{t.GuestId}", t.Token);

        await _api.ExpectAsync(HttpStatusCode.NotFound, HttpMethod.Get, $"/v1/devices/{t.Device}", t.GuestToken);
        await _api.ExpectAsync(HttpStatusCode.NotFound, HttpMethod.Get, $"/v1/workspaces/{t.Workspace}", t.GuestToken);
        await _api.ExpectAsync(HttpStatusCode.NotFound, HttpMethod.Get, $"/v1/workspaces/{t.SubWorkspace}/devices", t.GuestToken);

        // The last owner cannot be removed; an accepted invitation is used up.
        await _api.ExpectAsync(HttpStatusCode.Conflict, HttpMethod.Delete, $"/v1/workspaces/{t.Workspace}/members/{t.UserId}", t.Token);
        await _api.ExpectAsync(HttpStatusCode.NotFound, HttpMethod.Post, $"/v1/invitations/{t.Invitation}/accept", t.GuestToken);
    }

    [Fact]
    [Trait("Reliability", "scope-matrix")]
    public async Task Revoked_disabled_and_rotated_tokens_are_refused_by_the_api_at_once()
    {
        var t = await host.CreateTenantAsync("lifecycle");
        var path = $"/v1/workspaces/{t.Workspace}";
        var created = await _api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"{path}/tokens", t.Token, new { name = "a", role = "viewer" });
        await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, path, created.Str("token"));

        var rotated = await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Post, $"/v1/tokens/{created.Str("id")}/rotate", t.Token, new { graceSeconds = 0 });
        await _api.ExpectAsync(HttpStatusCode.Unauthorized, HttpMethod.Get, path, created.Str("token"));
        await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, path, rotated.Str("token"));

        await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Post, $"/v1/tokens/{created.Str("id")}/disable", t.Token);
        await _api.ExpectAsync(HttpStatusCode.Unauthorized, HttpMethod.Get, path, rotated.Str("token"));

        await _api.ExpectAsync(HttpStatusCode.NoContent, HttpMethod.Delete, $"/v1/tokens/{created.Str("id")}", t.Token);
        var listing = await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"{path}/tokens", t.Token);
        Assert.Contains("revokedAt", listing.Body, StringComparison.Ordinal);
        Assert.DoesNotContain(rotated.Str("token"), listing.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("\"token\"", listing.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_bodies_get_problem_details_and_change_nothing()
    {
        var t = await host.CreateTenantAsync("bodies");
        var tooBig = new string('a', 70 * 1024);
        var big = await _api.SendAsync(HttpMethod.Post, "/v1/workspaces", t.Token, tooBig);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, big.Status);
        Assert.Equal("https://datacake-streams.dev/problems/body-too-large", big.Str("type"));
        Assert.Equal("application/problem+json", big.Message.Content.Headers.ContentType?.MediaType);

        var bad = await _api.SendAsync(HttpMethod.Post, $"/v1/workspaces/{t.Workspace}/devices", t.Token, "{not json");
        Assert.Equal(HttpStatusCode.BadRequest, bad.Status);
        Assert.Equal("https://datacake-streams.dev/problems/invalid-request", bad.Str("type"));

        var taken = await _api.SendAsync(HttpMethod.Post, $"/v1/workspaces/{t.SubWorkspace}/devices", t.Token, new { name = "twin", serial = $"SN-{t.Label}" });
        Assert.Equal(HttpStatusCode.Conflict, taken.Status);
        Assert.Equal("https://datacake-streams.dev/problems/device-identity-taken", taken.Str("type"));

        var devices = await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/v1/workspaces/{t.SubWorkspace}/devices", t.Token);
        Assert.Equal(1, devices.Json.GetArrayLength());

        var noToken = await _api.SendAsync(HttpMethod.Get, "/v1/me", null);
        Assert.Equal(HttpStatusCode.Unauthorized, noToken.Status);
        Assert.Equal("https://datacake-streams.dev/problems/unauthenticated", noToken.Str("type"));
    }
}
