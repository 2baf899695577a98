using System.Net;
using System.Text.Json;

namespace Datacake.Streams.IntegrationTests.EndToEnd;

/// <summary>
/// Issue 17, through the real executable: every change made through the API is in a trail (the workspace's for its
/// owners and admins, the operator's for users, quotas, retention and backups) with who made it (ids, never a secret),
/// and nobody else reads a workspace's trail.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class AuditTrailTests(EndToEndHost e2e)
{
    [Fact]
    public async Task A_workspaces_changes_are_in_its_trail_with_who_made_them_readable_by_its_admins_only()
    {
        var device = await e2e.NewDeviceAsync("Audited meter");
        var rotated = await e2e.Api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Post, $"/v1/tokens/{device.TokenId}/rotate", e2e.OwnerToken, new { graceSeconds = 0 });
        await e2e.Api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Patch, $"/v1/devices/{device.Id}", e2e.OwnerToken, new { name = "Audited meter, renamed" });
        var viewer = await e2e.Api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/workspaces/{e2e.WorkspaceId}/tokens", e2e.OwnerToken, new { name = "viewer", role = "viewer" });
        var owner = (await e2e.Api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/v1/me", e2e.OwnerToken)).Str("id");

        var trail = await e2e.Api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/v1/workspaces/{e2e.WorkspaceId}/audit?limit=1000", e2e.OwnerToken);
        var events = trail.Json.GetProperty("events").EnumerateArray().ToArray();
        AssertHas(events, "POST /v1/workspaces/{id}/devices", $"created=/v1/devices/{device.Id}", owner);
        AssertHas(events, "POST /v1/devices/{id}/tokens", $"id={device.Id}", owner);
        AssertHas(events, "POST /v1/tokens/{id}/rotate", $"id={device.TokenId}", owner);
        AssertHas(events, "PATCH /v1/devices/{id}", $"id={device.Id}", owner);
        AssertHas(events, "POST /v1/workspaces/{id}/tokens", $"id={e2e.WorkspaceId}", owner);
        var sequences = events.Select(e => e.GetProperty("sequence").GetInt64()).ToArray();
        Assert.Equal(sequences.OrderDescending(), sequences);

        // Ids only: none of the secrets handed out on the way is in the trail.
        foreach (var secret in new[] { e2e.OwnerToken, device.Token, rotated.Str("token"), viewer.Str("token") })
        {
            Assert.DoesNotContain(secret, trail.Body, StringComparison.Ordinal);
        }

        // A viewer of the workspace, another tenant and the operator do not read it.
        Assert.Equal(HttpStatusCode.Forbidden, (await e2e.Api.SendAsync(HttpMethod.Get, $"/v1/workspaces/{e2e.WorkspaceId}/audit", viewer.Str("token"))).Status);
        var stranger = (await e2e.Api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, "/v1/users", e2e.OperatorToken, new { email = $"stranger-{Guid.NewGuid():N}@example.test" })).Str("token");
        Assert.Equal(HttpStatusCode.NotFound, (await e2e.Api.SendAsync(HttpMethod.Get, $"/v1/workspaces/{e2e.WorkspaceId}/audit", stranger)).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await e2e.Api.SendAsync(HttpMethod.Get, $"/v1/workspaces/{e2e.WorkspaceId}/audit", e2e.OperatorToken)).Status);

        // A refused change leaves no event: the stranger's attempt to rename the device.
        var refused = await e2e.Api.SendAsync(HttpMethod.Patch, $"/v1/devices/{device.Id}", stranger, new { name = "taken" });
        Assert.Equal(HttpStatusCode.NotFound, refused.Status);
        var after = await e2e.Api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/v1/workspaces/{e2e.WorkspaceId}/audit?limit=1000", e2e.OwnerToken);
        Assert.Equal(events.Length, after.Json.GetProperty("events").GetArrayLength());
    }

    [Fact]
    public async Task The_operators_actions_are_in_the_operators_trail_and_not_in_any_workspaces()
    {
        var created = await e2e.Api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, "/v1/users", e2e.OperatorToken, new { email = $"audited-{Guid.NewGuid():N}@example.test" });
        var user = created.Str("id");
        await e2e.Api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Put, $"/v1/ops/workspaces/{e2e.WorkspaceId}/quota", e2e.OperatorToken, new { pointsPerSecond = 100000, burst = 200000 });
        await e2e.Api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Delete, $"/v1/ops/workspaces/{e2e.WorkspaceId}/quota", e2e.OperatorToken);

        var trail = await e2e.Api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/v1/ops/audit?limit=1000", e2e.OperatorToken);
        var events = trail.Json.GetProperty("events").EnumerateArray().ToArray();
        AssertHas(events, "POST /v1/users", $"created=/v1/users/{user}", "operator");
        AssertHas(events, "PUT /v1/ops/workspaces/{id}/quota", $"id={e2e.WorkspaceId}", "operator");
        AssertHas(events, "DELETE /v1/ops/workspaces/{id}/quota", $"id={e2e.WorkspaceId}", "operator");
        Assert.DoesNotContain(created.Str("token"), trail.Body, StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.Forbidden, (await e2e.Api.SendAsync(HttpMethod.Get, "/v1/ops/audit", e2e.OwnerToken)).Status);
        var workspace = await e2e.Api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/v1/workspaces/{e2e.WorkspaceId}/audit?limit=1000", e2e.OwnerToken);
        Assert.DoesNotContain("/quota", workspace.Body, StringComparison.Ordinal);
        Assert.DoesNotContain(user, workspace.Body, StringComparison.Ordinal);
    }

    private static void AssertHas(JsonElement[] events, string action, string target, string actor) =>
        Assert.True(
            events.Any(e => e.GetProperty("action").GetString() == action
                && e.GetProperty("target").GetString()!.Contains(target, StringComparison.Ordinal)
                && e.GetProperty("actor").GetString() == actor),
            $"no {action} naming {target} by {actor} in:\n{string.Join('\n', events.Select(e => e.ToString()))}");
}
