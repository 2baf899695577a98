using System.Diagnostics;
using System.Net;
using Datacake.Streams.Access;
using Datacake.Streams.Api.Access;
using Datacake.Streams.Ids;
using Datacake.Streams.RecordLog;
using Datacake.Streams.TestSupport;

namespace Datacake.Streams.IntegrationTests.Api.Access;

/// <summary>
/// What the API publishes reaches other nodes' registry views through the log (here: a second view fed from the
/// node's own FasterLog), and a wiped log is rebuilt from the metadata store at the next start.
/// </summary>
public sealed class RegistryPublishingTests : IAsyncDisposable
{
    private static readonly TimeSpan _propagationLimit = TimeSpan.FromSeconds(2);
    private readonly string _directory = Directory.CreateTempSubdirectory("dcs-registry-api-").FullName;
    private readonly string _operator = AccessToken.New().Secret;

    public ValueTask DisposeAsync()
    {
        Directory.Delete(_directory, recursive: true);
        return ValueTask.CompletedTask;
    }

    [Fact]
    public async Task A_token_revoked_through_the_api_is_refused_by_a_second_view_within_two_seconds()
    {
        await using var host = await InProcessHost.StartAsync(_directory, _operator);
        var world = await CreateWorldAsync(host.Api);

        // Declared after the host, so disposed before it: the feed stops before the log closes.
        await using var second = await StartSecondViewAsync(host);

        await second.WaitUntilAsync(v => v.Authenticate(world.DeviceToken, out _) == AuthenticationResult.Ok, Within(TimeSpan.FromSeconds(10)));
        Assert.Equal(AuthenticationResult.Ok, second.View.AuthorizeWrite(TokenHash.Of(world.DeviceToken), world.Device, DateTimeOffset.UtcNow));

        // The signing key travelled sealed and opens with the deployment's registry key.
        await second.WaitUntilAsync(v => v.TryGetWebhook(world.WebhookId, out _), Within(TimeSpan.FromSeconds(10)));
        second.View.TryGetWebhook(world.WebhookId, out var webhook);
        Assert.Equal(world.SigningKey, webhook!.SigningSecret!.Value.ToArray());
        Assert.True(webhook.IsBound(world.Device));

        var clock = Stopwatch.StartNew();
        await host.Api.ExpectAsync(HttpStatusCode.NoContent, HttpMethod.Delete, $"/v1/tokens/{world.DeviceTokenId}", world.UserToken);
        await second.WaitUntilAsync(v => v.Authenticate(world.DeviceToken, out _) == AuthenticationResult.Revoked, Within(_propagationLimit));
        Assert.True(clock.Elapsed < _propagationLimit, $"took {clock.Elapsed}");

        // A device deleted through the API is refused for writes by the other view too.
        var confirm = (await host.Api.ExpectAsync(HttpStatusCode.Conflict, HttpMethod.Delete, $"/v1/devices/{world.Device}", world.UserToken)).Str("confirm");
        await host.Api.ExpectAsync(HttpStatusCode.NoContent, HttpMethod.Delete, $"/v1/devices/{world.Device}", world.UserToken, new { confirm });
        await second.WaitUntilAsync(v => v.TryGetDevice(world.Device, out var d) && d!.DeletedAt is not null, Within(_propagationLimit));
    }

    [Fact]
    public async Task A_wiped_log_is_republished_from_the_metadata_store_at_the_next_start()
    {
        World world;
        string workspace;
        await using (var first = await InProcessHost.StartAsync(_directory, _operator))
        {
            Assert.Equal(0, await first.Get<RegistryReconciler>().Completion.WaitAsync(TimeSpan.FromSeconds(30)));
            world = await CreateWorldAsync(first.Api);
            await first.Api.ExpectAsync(HttpStatusCode.NoContent, HttpMethod.Delete, $"/v1/tokens/{world.DeviceTokenId}", world.UserToken);

            // The operator's ingest quota travels on the workspace's value: the answer comes once the view holds it.
            workspace = (await first.Api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/v1/me", world.UserToken)).Str("homeWorkspaceId");
            await first.Api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Put, $"/v1/ops/workspaces/{workspace}/quota", _operator, new { pointsPerSecond = 50, burst = 120 });
            Assert.True(first.Get<RegistryFeed>().View.TryGetWorkspace(workspace, out var entry));
            Assert.Equal(new IngestQuota(50, 120), entry!.Quota);
            await first.Get<RegistryFeed>().WaitUntilAsync(
                v => v.TryGetWebhook(world.WebhookId, out _) && v.Authenticate(world.DeviceToken, out _) == AuthenticationResult.Revoked,
                Within(TimeSpan.FromSeconds(10)));

            // Everything published is in the view: the store and the registry agree.
            Assert.Equal(0, await first.Get<RegistryReconciler>().ReconcileAsync(CancellationToken.None));
        }

        Directory.Delete(Path.Combine(_directory, "log"), recursive: true);

        await using var second = await InProcessHost.StartAsync(_directory, _operator);
        var republished = await second.Get<RegistryReconciler>().Completion.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(4, republished); // the workspace (with its quota), the device, the device token and the webhook
        var feed = second.Get<RegistryFeed>();
        await feed.WaitUntilAsync(
            v => v.TryGetDevice(world.Device, out _) && v.TryGetWebhook(world.WebhookId, out _) && v.Authenticate(world.DeviceToken, out _) == AuthenticationResult.Revoked,
            Within(TimeSpan.FromSeconds(10)));
        await feed.WaitUntilAsync(v => v.TryGetWorkspace(workspace, out var w) && w!.Quota == new IngestQuota(50, 120), Within(TimeSpan.FromSeconds(10)));

        // A restart with the log intact publishes nothing again.
        Assert.Equal(0, await second.Get<RegistryReconciler>().ReconcileAsync(CancellationToken.None));
    }

    [Fact]
    public async Task A_rotated_and_paused_webhook_is_republished_with_both_keys_its_overlap_and_its_pause()
    {
        World world;
        string newToken;
        byte[] newKey;
        DateTimeOffset overlapEndsAt;
        await using (var first = await InProcessHost.StartAsync(_directory, _operator))
        {
            world = await CreateWorldAsync(first.Api);
            var rotated = await first.Api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Post, $"/v1/webhooks/{world.WebhookId}/rotate", world.UserToken, new { overlapSeconds = 3600 });
            (newToken, newKey) = (rotated.Str("token"), Convert.FromBase64String(rotated.Str("secret")["whsec_".Length..]));
            overlapEndsAt = rotated.Json.GetProperty("overlapEndsAt").GetDateTimeOffset();
            await first.Api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Post, $"/v1/webhooks/{world.WebhookId}/pause", world.UserToken);
            await first.Get<RegistryFeed>().WaitUntilAsync(
                v => v.TryGetWebhook(world.WebhookId, out var w) && w!.DisabledAt is not null && w.SecretRotation is not null, Within(TimeSpan.FromSeconds(10)));

            // The reconciler sees the rotated, paused webhook as the store holds it: nothing to publish.
            Assert.Equal(0, await first.Get<RegistryReconciler>().ReconcileAsync(CancellationToken.None));
        }

        Directory.Delete(Path.Combine(_directory, "log"), recursive: true);

        await using var second = await InProcessHost.StartAsync(_directory, _operator);
        Assert.Equal(4, await second.Get<RegistryReconciler>().Completion.WaitAsync(TimeSpan.FromSeconds(30)));
        var feed = second.Get<RegistryFeed>();
        await feed.WaitUntilAsync(v => v.TryGetWebhook(world.WebhookId, out _), Within(TimeSpan.FromSeconds(10)));
        feed.View.TryGetWebhook(world.WebhookId, out var webhook);
        Assert.Equal(TokenHash.Of(newToken), webhook!.TokenHash);
        Assert.Equal(new TokenRotation(TokenHash.Of(world.WebhookToken), overlapEndsAt), webhook.Rotation);
        Assert.Equal(newKey, webhook.SigningSecret!.Value.ToArray());
        Assert.Equal(world.SigningKey, webhook.SecretRotation!.PreviousSecret.ToArray());
        Assert.Equal(overlapEndsAt, webhook.SecretRotation.ValidUntil);
        Assert.NotNull(webhook.DisabledAt);
        Assert.Equal(AuthenticationResult.Disabled, feed.View.AuthenticateWebhook(world.WebhookId, world.WebhookToken, DateTimeOffset.UtcNow, out _));
        Assert.Equal(0, await second.Get<RegistryReconciler>().ReconcileAsync(CancellationToken.None));
    }

    private async Task<World> CreateWorldAsync(ApiClient api)
    {
        var user = await api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, "/v1/users", _operator, new { email = $"{Guid.NewGuid():N}@example.test" });
        var token = user.Str("token");
        var workspace = (await api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/v1/me", token)).Str("homeWorkspaceId");
        var device = (await api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/workspaces/{workspace}/devices", token, new { name = "sensor" })).Str("id");
        var deviceToken = await api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/devices/{device}/tokens", token);
        var webhook = await api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/workspaces/{workspace}/webhooks", token, new { kind = "helium", devices = new[] { device }, signed = true });
        return new World(
            token,
            DeviceId.Parse(device),
            deviceToken.Str("id"),
            deviceToken.Str("token"),
            webhook.Str("id"),
            webhook.Str("token"),
            Convert.FromBase64String(webhook.Str("secret")["whsec_".Length..]));
    }

    private static async Task<RegistryFeed> StartSecondViewAsync(InProcessHost host)
    {
        var feed = new RegistryFeed(
            host.Get<IRecordLog>(),
            new RegistryView(),
            host.Get<RegistryChangeCodec>(),
            new RegistryFeedOptions { PollTimeout = TimeSpan.FromMilliseconds(50) });
        await feed.StartAsync();
        await feed.WaitUntilCaughtUpAsync(Within(TimeSpan.FromSeconds(30)));
        return feed;
    }

    private static CancellationToken Within(TimeSpan limit) => new CancellationTokenSource(limit).Token;

    private sealed record World(string UserToken, DeviceId Device, string DeviceTokenId, string DeviceToken, string WebhookId, string WebhookToken, byte[] SigningKey);
}
