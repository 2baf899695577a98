using System.Net;

namespace Datacake.Streams.IntegrationTests.Api.Access;

/// <summary>
/// Workspace isolation through the real host: a caller of workspace A aimed at any id of workspace B (workspaces,
/// sub-workspaces, devices, tokens, webhooks, invitations, decoders, members) is refused, and the refusal names nothing of B.
/// </summary>
public sealed class CrossWorkspaceTests(AccessApiHost host) : IClassFixture<AccessApiHost>
{
    private readonly ApiClient _api = host.Api;

    [Fact]
    [Trait("Reliability", "scope-matrix")]
    public async Task Every_endpoint_refuses_workspace_A_callers_on_workspace_B_ids_and_leaks_nothing()
    {
        var a = await host.CreateTenantAsync("alpha");
        var b = await host.CreateTenantAsync("bravo");

        foreach (var (callerName, token) in new[] { ("user token", a.Token), ("scoped admin token", a.AdminToken) })
        {
            foreach (var (method, path, body) in Attempts(a, b))
            {
                var response = await _api.SendAsync(method, path, token, body);
                Assert.True(
                    response.Status is HttpStatusCode.NotFound or HttpStatusCode.Forbidden or HttpStatusCode.BadRequest,
                    $"{callerName}: {method} {path} answered {(int)response.Status}: {response.Body}");
                foreach (var identifier in b.Identifiers)
                {
                    Assert.DoesNotContain(identifier, response.Body, StringComparison.Ordinal);
                }
            }
        }

        // B's things are untouched: its token still works, its device, webhook and members are still there.
        await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/v1/devices/{b.Device}", b.AdminToken);
        var webhooks = await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/v1/workspaces/{b.Workspace}/webhooks", b.Token);
        Assert.Contains(b.Webhook, webhooks.Body, StringComparison.Ordinal);
        var members = await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/v1/workspaces/{b.Workspace}/members", b.Token);
        Assert.Contains(b.UserId, members.Body, StringComparison.Ordinal);
        var tokens = await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/v1/workspaces/{b.Workspace}/tokens", b.Token);
        Assert.DoesNotContain("revokedAt\":\"", tokens.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("disabledAt\":\"", tokens.Body, StringComparison.Ordinal);

        // And A's listings show none of B.
        foreach (var path in new[] { "/v1/workspaces", "/v1/me", $"/v1/workspaces/{a.Workspace}/devices", $"/v1/workspaces/{a.Workspace}/tokens" })
        {
            var listing = await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, path, a.Token);
            foreach (var identifier in b.Identifiers)
            {
                Assert.DoesNotContain(identifier, listing.Body, StringComparison.Ordinal);
            }
        }

        // The invitee of B cannot be made to accept by A; B's guest still can.
        await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Post, $"/v1/invitations/{b.Invitation}/accept", b.GuestToken);
    }

    private static IEnumerable<(HttpMethod Method, string Path, object? Body)> Attempts(Tenant a, Tenant b)
    {
        var post = HttpMethod.Post;
        var get = HttpMethod.Get;
        var delete = HttpMethod.Delete;
        foreach (var workspace in new[] { b.Workspace, b.SubWorkspace })
        {
            yield return (get, $"/v1/workspaces/{workspace}", null);
            yield return (post, "/v1/workspaces", new { name = "x", parentId = workspace });
            yield return (post, $"/v1/workspaces/{workspace}/invitations", new { userId = a.UserId, role = "viewer" });
            yield return (get, $"/v1/workspaces/{workspace}/invitations", null);
            yield return (get, $"/v1/workspaces/{workspace}/members", null);
            yield return (delete, $"/v1/workspaces/{workspace}/members/{b.UserId}", null);
            yield return (HttpMethod.Patch, $"/v1/workspaces/{workspace}/members/{b.UserId}", new { role = "viewer" });
            yield return (post, $"/v1/workspaces/{workspace}/invitations", new { email = $"x-{a.Label}@example.test", role = "viewer" });
            yield return (post, $"/v1/workspaces/{workspace}/devices", new { name = "x" });
            yield return (get, $"/v1/workspaces/{workspace}/devices", null);
            yield return (post, $"/v1/workspaces/{workspace}/tokens", new { name = "x", role = "viewer" });
            yield return (get, $"/v1/workspaces/{workspace}/tokens", null);
            yield return (post, $"/v1/workspaces/{workspace}/webhooks", new { kind = "tts", devices = Array.Empty<string>() });
            yield return (get, $"/v1/workspaces/{workspace}/webhooks", null);
            yield return (post, $"/v1/workspaces/{workspace}/decoders", new { name = "x", source = "x" });
            yield return (get, $"/v1/workspaces/{workspace}/decoders", null);
        }

        foreach (var device in new[] { b.Device, b.SubDevice })
        {
            yield return (get, $"/v1/devices/{device}", null);
            yield return (HttpMethod.Patch, $"/v1/devices/{device}", new { name = "x" });
            yield return (delete, $"/v1/devices/{device}", null);
            yield return (delete, $"/v1/devices/{device}", new { confirm = "0123456789abcdef0123456789abcdef" });
            yield return (post, $"/v1/devices/{device}/restore", null);
            yield return (post, $"/v1/devices/{device}/tokens", null);
        }

        yield return (post, $"/v1/tokens/{b.AdminTokenId}/rotate", null);
        yield return (post, $"/v1/tokens/{b.AdminTokenId}/disable", null);
        yield return (delete, $"/v1/tokens/{b.AdminTokenId}", null);
        yield return (post, $"/v1/webhooks/{b.Webhook}/rotate", new { overlapSeconds = 0 });
        yield return (post, $"/v1/webhooks/{b.Webhook}/pause", null);
        yield return (post, $"/v1/webhooks/{b.Webhook}/resume", null);
        yield return (HttpMethod.Patch, $"/v1/webhooks/{b.Webhook}", new { devices = new[] { a.Device } });
        yield return (delete, $"/v1/webhooks/{b.Webhook}", null);
        yield return (post, $"/v1/invitations/{b.Invitation}/accept", null);
        yield return (delete, $"/v1/invitations/{b.Invitation}", null);

        // Body fields naming B's things inside A's own workspace.
        yield return (post, $"/v1/workspaces/{a.Workspace}/tokens", new { name = "x", devices = new[] { new { id = b.Device, access = "read" } } });
        yield return (post, $"/v1/workspaces/{a.Workspace}/tokens", new { name = "x", devices = new[] { new { id = b.SubDevice, access = "read-write" } } });
        yield return (post, $"/v1/workspaces/{a.Workspace}/webhooks", new { kind = "chirpstack", devices = new[] { b.Device } });
        yield return (HttpMethod.Patch, $"/v1/webhooks/{a.Webhook}", new { devices = new[] { a.Device, b.SubDevice } });
        yield return (HttpMethod.Patch, $"/v1/devices/{a.Device}", new { decoder = b.Decoder });
    }
}
