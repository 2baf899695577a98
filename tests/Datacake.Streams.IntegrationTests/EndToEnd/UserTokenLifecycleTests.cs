using System.Net;
using System.Text.Json;
using Datacake.Streams.IntegrationTests.Api.Access;
using Datacake.Streams.Problems;

namespace Datacake.Streams.IntegrationTests.EndToEnd;

/// <summary>
/// A user's own token through the real executable: rotated with a grace, disabled and revoked by that user alone;
/// the operator disables a user (every own token refused at the next request) and issues a new token, and still reads
/// no workspace data. On HTTP ingest and MQTT a user token is no credential at all, in any state: a person's token
/// does not go into devices (the workspace's scoped and device tokens do), so none of these changes has anything to
/// propagate there, and each test shows the refusal next to the same device's own token being accepted.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class UserTokenLifecycleTests(EndToEndHost e2e)
{
    /// <summary>Long enough for a handful of loopback requests on a loaded 2-core machine, short enough to wait out.</summary>
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(3);

    [Fact]
    public async Task A_rotated_user_token_works_during_its_grace_and_is_refused_after_it_while_ingest_never_takes_a_user_token()
    {
        var user = await NewUserAsync("rotating");
        var device = await user.NewDeviceAsync("Rotation probe");
        await IngestAcceptsDeviceTokenAsync(device);
        await IngestRefusesAsync(device, user.Token);

        var listed = Assert.Single((await Api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/v1/me/tokens", user.Token)).Json.EnumerateArray());
        Assert.Equal("user", listed.GetProperty("kind").GetString());
        Assert.False(listed.TryGetProperty("token", out _), "a listing never shows a secret");
        var tokenId = listed.GetProperty("id").GetString()!;

        var before = DateTimeOffset.UtcNow;
        var rotated = await Api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Post, $"/v1/tokens/{tokenId}/rotate", user.Token, new { graceSeconds = (int)Grace.TotalSeconds });
        Assert.Equal(tokenId, rotated.Str("id"));
        var replacement = rotated.Str("token");
        Assert.NotEqual(user.Token, replacement);

        // During the grace: both secrets are the user on the API; ingest takes neither.
        await Api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/v1/workspaces/{user.WorkspaceId}/devices", user.Token);
        await Api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/v1/workspaces/{user.WorkspaceId}/devices", replacement);
        await IngestRefusesAsync(device, user.Token);
        await IngestRefusesAsync(device, replacement);

        // After it: the old secret is refused, and not before the grace it was given.
        var refused = await Until.Async(
            () => Api.SendAsync(HttpMethod.Get, $"/v1/workspaces/{user.WorkspaceId}/devices", user.Token),
            r => r.Status != HttpStatusCode.OK,
            "the rotated-out user token refused after its grace");
        Assert.Equal(HttpStatusCode.Unauthorized, refused.Status);
        Assert.True(DateTimeOffset.UtcNow >= before + Grace, "the rotated-out token was refused before its grace ended");
        await Api.ExpectAsync(HttpStatusCode.Unauthorized, HttpMethod.Post, $"/v1/tokens/{tokenId}/rotate", user.Token);
        await IngestRefusesAsync(device, user.Token);
        await Api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/v1/workspaces/{user.WorkspaceId}/devices", replacement);
        await IngestAcceptsDeviceTokenAsync(device);
    }

    [Fact]
    public async Task A_user_disabled_by_the_operator_has_every_token_refused_at_once_and_the_operator_still_reads_no_data()
    {
        var user = await NewUserAsync("offboarded");
        var device = await user.NewDeviceAsync("Offboarding probe");
        var second = await Api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/users/{user.Id}/tokens", e2e.OperatorToken);
        Assert.Equal(user.Id, second.Str("userId"));
        var secondToken = second.Str("token");
        Assert.Equal(2, (await Api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/v1/me/tokens", secondToken)).Json.GetArrayLength());

        // Only the operator offboards, and a user is no operator.
        await Api.ExpectAsync(HttpStatusCode.Forbidden, HttpMethod.Post, $"/v1/users/{user.Id}/disable", user.Token);
        await Api.ExpectAsync(HttpStatusCode.Forbidden, HttpMethod.Post, $"/v1/users/{user.Id}/tokens", user.Token);
        await Api.ExpectAsync(HttpStatusCode.NotFound, HttpMethod.Post, "/v1/users/usr_nobody/disable", e2e.OperatorToken);

        var disabled = await Api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Post, $"/v1/users/{user.Id}/disable", e2e.OperatorToken);
        Assert.NotEqual(JsonValueKind.Null, disabled.Json.GetProperty("disabledAt").ValueKind);

        // The very next request, no waiting: every token of the user is refused everywhere.
        foreach (var token in new[] { user.Token, secondToken })
        {
            await Api.ExpectAsync(HttpStatusCode.Unauthorized, HttpMethod.Get, "/v1/me", token);
            await Api.ExpectAsync(HttpStatusCode.Unauthorized, HttpMethod.Get, $"/v1/workspaces/{user.WorkspaceId}/devices", token);
            await Api.ExpectAsync(HttpStatusCode.Unauthorized, HttpMethod.Get, $"/v1/devices/{device.Id}/last", token);
            await IngestRefusesAsync(device, token);
        }

        // Offboarding gave the operator nothing: workspace data stays 403.
        foreach (var path in new[] { $"/v1/workspaces/{user.WorkspaceId}/devices", $"/v1/workspaces/{user.WorkspaceId}/tokens" })
        {
            var answer = await Api.ExpectAsync(HttpStatusCode.Forbidden, HttpMethod.Get, path, e2e.OperatorToken);
            Assert.Equal(ProblemTypes.OperatorNoWorkspaceData, answer.Str("type"));
        }

        await Api.ExpectAsync(HttpStatusCode.Forbidden, HttpMethod.Get, $"/v1/devices/{device.Id}/last", e2e.OperatorToken);
        await Api.ExpectAsync(HttpStatusCode.Forbidden, HttpMethod.Get, "/v1/me/tokens", e2e.OperatorToken);

        // The workspace's device token belongs to the workspace, not to the person: its device keeps sending.
        await IngestAcceptsDeviceTokenAsync(device);

        var enabled = await Api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Post, $"/v1/users/{user.Id}/enable", e2e.OperatorToken);
        Assert.Equal(JsonValueKind.Null, enabled.Json.GetProperty("disabledAt").ValueKind);
        await Api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/v1/workspaces/{user.WorkspaceId}/devices", user.Token);
        await Api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/v1/workspaces/{user.WorkspaceId}/devices", secondToken);
    }

    [Fact]
    public async Task Another_tenant_cannot_touch_a_users_token_and_the_user_may_revoke_the_last_one_the_operator_issuing_a_new_one()
    {
        var victim = await NewUserAsync("victim");
        var other = await NewUserAsync("other");
        var tokenId = (await Api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/v1/me/tokens", victim.Token)).Json[0].GetProperty("id").GetString()!;
        var otherAdmin = (await Api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/workspaces/{other.WorkspaceId}/tokens", other.Token,
            new { name = "admin", role = "owner" })).Str("token");

        // The other tenant owns a workspace the victim is a member of: a membership gives no power over the person's token.
        var invitation = (await Api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/workspaces/{other.WorkspaceId}/invitations", other.Token,
            new { userId = victim.Id, role = "viewer" })).Str("id");
        await Api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Post, $"/v1/invitations/{invitation}/accept", victim.Token);
        await Api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/v1/workspaces/{other.WorkspaceId}/devices", victim.Token);

        foreach (var attacker in new[] { other.Token, otherAdmin })
        {
            await Api.ExpectAsync(HttpStatusCode.NotFound, HttpMethod.Post, $"/v1/tokens/{tokenId}/rotate", attacker, new { graceSeconds = 60 });
            await Api.ExpectAsync(HttpStatusCode.NotFound, HttpMethod.Post, $"/v1/tokens/{tokenId}/disable", attacker);
            await Api.ExpectAsync(HttpStatusCode.NotFound, HttpMethod.Delete, $"/v1/tokens/{tokenId}", attacker);
        }

        Assert.DoesNotContain(tokenId, (await Api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/v1/me/tokens", other.Token)).Body, StringComparison.Ordinal);
        await Api.ExpectAsync(HttpStatusCode.Forbidden, HttpMethod.Get, "/v1/me/tokens", otherAdmin);
        await Api.ExpectAsync(HttpStatusCode.Forbidden, HttpMethod.Post, $"/v1/tokens/{tokenId}/disable", e2e.OperatorToken);
        var untouched = (await Api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/v1/me/tokens", victim.Token)).Json[0];
        Assert.Equal(JsonValueKind.Null, untouched.GetProperty("disabledAt").ValueKind);
        Assert.Equal(JsonValueKind.Null, untouched.GetProperty("revokedAt").ValueKind);

        // What an owner does to cut a member's access: remove the membership, effective at the member's next request.
        await Api.ExpectAsync(HttpStatusCode.NoContent, HttpMethod.Delete, $"/v1/workspaces/{other.WorkspaceId}/members/{victim.Id}", other.Token);
        await Api.ExpectAsync(HttpStatusCode.NotFound, HttpMethod.Get, $"/v1/workspaces/{other.WorkspaceId}/devices", victim.Token);
        await Api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/v1/workspaces/{victim.WorkspaceId}/devices", victim.Token);

        // The victim disables its only token: allowed, refused at once, and nothing the token does can undo it.
        var disabled = await Api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Post, $"/v1/tokens/{tokenId}/disable", victim.Token);
        Assert.NotEqual(JsonValueKind.Null, disabled.Json.GetProperty("disabledAt").ValueKind);
        await Api.ExpectAsync(HttpStatusCode.Unauthorized, HttpMethod.Get, "/v1/me", victim.Token);
        await Api.ExpectAsync(HttpStatusCode.Unauthorized, HttpMethod.Delete, $"/v1/tokens/{tokenId}", victim.Token);

        // The way back in goes through the operator, who issues a new token and still reads nothing.
        var issued = await Api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/users/{victim.Id}/tokens", e2e.OperatorToken);
        var issuedToken = issued.Str("token");
        await Api.ExpectAsync(HttpStatusCode.Forbidden, HttpMethod.Get, $"/v1/workspaces/{victim.WorkspaceId}/devices", e2e.OperatorToken);
        await Api.ExpectAsync(HttpStatusCode.NoContent, HttpMethod.Delete, $"/v1/tokens/{tokenId}", issuedToken);
        var revoked = await Api.ExpectAsync(HttpStatusCode.Conflict, HttpMethod.Post, $"/v1/tokens/{tokenId}/rotate", issuedToken);
        Assert.Equal(ProblemTypes.TokenRevoked, revoked.Str("type"));
        await Api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/v1/workspaces/{victim.WorkspaceId}/devices", issuedToken);

        // Revoking the last valid token is allowed too; the operator issues the next one.
        await Api.ExpectAsync(HttpStatusCode.NoContent, HttpMethod.Delete, $"/v1/tokens/{issued.Str("id")}", issuedToken);
        await Api.ExpectAsync(HttpStatusCode.Unauthorized, HttpMethod.Get, "/v1/me", issuedToken);
        var next = (await Api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/users/{victim.Id}/tokens", e2e.OperatorToken)).Str("token");
        var mine = (await Api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/v1/me/tokens", next)).Json;
        Assert.Equal(3, mine.GetArrayLength());
        Assert.Equal(2, mine.EnumerateArray().Count(t => t.GetProperty("revokedAt").ValueKind != JsonValueKind.Null));
        await Api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/v1/workspaces/{victim.WorkspaceId}/devices", next);
    }

    private ApiClient Api => e2e.Api;

    private async Task<TestUser> NewUserAsync(string label)
    {
        var token = (await Api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, "/v1/users", e2e.OperatorToken, new { email = $"{label}-{Guid.NewGuid():N}@example.test" })).Str("token");
        var me = await Api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/v1/me", token);
        return new TestUser(this, me.Str("id"), token, me.Str("homeWorkspaceId"));
    }

    /// <summary>The device's own token works on both adapters: what the refusals beside it are compared with.</summary>
    private async Task IngestAcceptsDeviceTokenAsync(TestDevice device)
    {
        await Senders.AcceptedAsync(() => Senders.MeasurementAsync(e2e.Host.Http, device, """{"probe":1}"""), "the device token");
        await using var mqtt = await MqttWire.ConnectAcceptedAsync(e2e.MqttPort, "ut-" + Guid.NewGuid().ToString("N")[..10], device.Token);
        await mqtt.PublishQos1Async($"devices/{device.Id}/measurements", """{"probe":2}""", packetId: 1);
    }

    /// <summary>HTTP ingest answers 401 (429 once this token's failure budget is spent) and MQTT refuses the CONNECT.</summary>
    private async Task IngestRefusesAsync(TestDevice device, string token)
    {
        var (status, body) = await Senders.MeasurementAsync(e2e.Host.Http, device, """{"probe":3}""", token: token);
        Assert.True(status is HttpStatusCode.Unauthorized or HttpStatusCode.TooManyRequests, $"HTTP ingest took a user token: {(int)status} {body}");
        var (connection, code) = await MqttWire.ConnectAsync(e2e.MqttPort, "ut-" + Guid.NewGuid().ToString("N")[..10], token);
        await connection.DisposeAsync();

        // 3.1.1 CONNACK: 4 bad user name or password, 5 not authorized (the failure budget spent).
        Assert.True(code is 4 or 5, $"MQTT answered a user token's CONNECT with {code}");
    }

    private sealed record TestUser(UserTokenLifecycleTests Tests, string Id, string Token, string WorkspaceId)
    {
        public async Task<TestDevice> NewDeviceAsync(string name)
        {
            var api = Tests.Api;
            var id = (await api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/workspaces/{WorkspaceId}/devices", Token, new { name })).Str("id");
            var token = await api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/devices/{id}/tokens", Token);
            return new TestDevice(id, token.Str("id"), token.Str("token"));
        }
    }
}
