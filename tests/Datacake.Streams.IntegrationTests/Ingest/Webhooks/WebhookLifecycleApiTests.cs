using System.Net;
using System.Security.Cryptography;
using Datacake.Streams.Access;
using Datacake.Streams.IntegrationTests.Api.Access;
using Datacake.Streams.IntegrationTests.EndToEnd;
using Datacake.Streams.IntegrationTests.Host.Hosting;

namespace Datacake.Streams.IntegrationTests.Ingest.Webhooks;

/// <summary>
/// The real executable (FasterLog, SQLite, Kestrel) behind a configured proxy on loopback: webhooks rotated with an
/// overlap, paused and resumed, re-bound to other devices, and answered with an absolute URL; real TTS webhook
/// requests (token and Standard Webhooks signature) show what ingest accepts after each change. A second tenant
/// can do none of it to the first one's webhook.
/// </summary>
public sealed class WebhookLifecycleApiTests(WebhookLifecycleHost host) : IClassFixture<WebhookLifecycleHost>
{
    private readonly ApiClient _api = host.Api;

    [Fact]
    [Trait("Reliability", "webhook-secret-rotation")]
    public async Task A_rotated_token_and_secret_work_during_the_overlap_and_are_refused_after_it()
    {
        var tenant = await host.NewTenantAsync("rotate");
        var device = await host.NewDeviceAsync(tenant, "Rotating probe");
        var first = await host.NewWebhookAsync(tenant, device);
        var uplinks = new Uplinks(device.DevEui!);
        await Senders.AcceptedAsync(() => Senders.WebhookAsync(_api.Http, first, uplinks.Next()), "the created webhook");

        // A long overlap: old and new credentials (and either mixed) are all accepted.
        var rotated = await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Post, $"/v1/webhooks/{first.Id}/rotate", tenant.Token,
            new { token = true, secret = true, overlapSeconds = 3600 });
        var second = new TestWebhook(first.Id, rotated.Str("token"), rotated.Str("secret"));
        Assert.NotEqual(first.Token, second.Token);
        Assert.NotEqual(first.Secret, second.Secret);
        await Senders.AcceptedAsync(() => Senders.WebhookAsync(_api.Http, second, uplinks.Next()), "the rotated credentials");
        Assert.Equal(HttpStatusCode.Accepted, (await Senders.WebhookAsync(_api.Http, first, uplinks.Next())).Status);
        Assert.Equal(HttpStatusCode.Accepted, (await Senders.WebhookAsync(_api.Http, first with { Secret = second.Secret }, uplinks.Next())).Status);
        Assert.Equal(HttpStatusCode.Accepted, (await Senders.WebhookAsync(_api.Http, second with { Secret = first.Secret }, uplinks.Next())).Status);
        var listed = await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/v1/workspaces/{tenant.Workspace}/webhooks", tenant.Token);
        Assert.Equal(rotated.Json.GetProperty("overlapEndsAt").GetDateTimeOffset(), listed.Json[0].GetProperty("previousTokenValidUntil").GetDateTimeOffset());
        Assert.DoesNotContain(second.Token, listed.Body, StringComparison.Ordinal);
        Assert.DoesNotContain(second.Secret![6..], listed.Body, StringComparison.Ordinal);

        // Rotating again with a 3-second overlap: the first credentials end at once, the second ones at the deadline.
        var again = await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Post, $"/v1/webhooks/{first.Id}/rotate", tenant.Token, new { overlapSeconds = 3 });
        var third = new TestWebhook(first.Id, again.Str("token"), again.Str("secret"));
        var overlapEndsAt = again.Json.GetProperty("overlapEndsAt").GetDateTimeOffset();
        await Senders.AcceptedAsync(() => Senders.WebhookAsync(_api.Http, third, uplinks.Next()), "the third credentials");
        var firstRefused = await Senders.WebhookAsync(_api.Http, first, uplinks.Next());
        Assert.Equal(HttpStatusCode.Unauthorized, firstRefused.Status);

        // Every answer to the second credentials agrees with the deadline: 202 only for requests sent before it, 401
        // only once it has passed (the host and the test share this machine's clock).
        while (true)
        {
            var sentAt = DateTimeOffset.UtcNow;
            var answer = await Senders.WebhookAsync(_api.Http, second, uplinks.Next());
            var answeredAt = DateTimeOffset.UtcNow;
            if (answer.Status == HttpStatusCode.Accepted)
            {
                Assert.True(sentAt < overlapEndsAt, $"the replaced credentials were accepted at {sentAt:O}, after the overlap ended at {overlapEndsAt:O}");
                Assert.True(answeredAt < overlapEndsAt.AddSeconds(45), "the replaced credentials are never refused");
                continue;
            }

            Assert.True(answer.Status is HttpStatusCode.Unauthorized, $"expected 401, got {(int)answer.Status}: {answer.Body}");
            Assert.True(answeredAt >= overlapEndsAt, $"the replaced credentials were refused at {answeredAt:O}, before the overlap ended at {overlapEndsAt:O}");
            break;
        }

        // The new token with the replaced key (signature) is refused too; the new credentials keep working.
        Assert.Equal(HttpStatusCode.Unauthorized, (await Senders.WebhookAsync(_api.Http, third with { Secret = second.Secret }, uplinks.Next())).Status);
        Assert.Equal(HttpStatusCode.Accepted, (await Senders.WebhookAsync(_api.Http, third, uplinks.Next())).Status);

        await _api.ExpectAsync(HttpStatusCode.BadRequest, HttpMethod.Post, $"/v1/webhooks/{first.Id}/rotate", tenant.Token, new { overlapSeconds = (7 * 86_400) + 1 });
    }

    [Fact]
    public async Task A_paused_webhook_is_refused_with_423_and_resuming_restores_it()
    {
        var tenant = await host.NewTenantAsync("pause");
        var device = await host.NewDeviceAsync(tenant, "Paused probe");
        var webhook = await host.NewWebhookAsync(tenant, device);
        var uplinks = new Uplinks(device.DevEui!);
        await Senders.AcceptedAsync(() => Senders.WebhookAsync(_api.Http, webhook, uplinks.Next()), "the created webhook");

        var paused = await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Post, $"/v1/webhooks/{webhook.Id}/pause", tenant.Token);
        Assert.Equal(JsonValueKindString, paused.Json.GetProperty("pausedAt").ValueKind);
        var refused = await Until.Async(() => Senders.WebhookAsync(_api.Http, webhook, uplinks.Next()), a => a.Status != HttpStatusCode.Accepted, "ingest refusing the paused webhook");
        Assert.Equal(HttpStatusCode.Locked, refused.Status);
        Assert.Contains("webhook-disabled", refused.Body, StringComparison.Ordinal);

        await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Post, $"/v1/webhooks/{webhook.Id}/resume", tenant.Token);
        var resumed = await Until.Async(() => Senders.WebhookAsync(_api.Http, webhook, uplinks.Next()), a => a.Status != HttpStatusCode.Locked, "ingest accepting the resumed webhook");
        Assert.Equal(HttpStatusCode.Accepted, resumed.Status);
        var listed = await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/v1/workspaces/{tenant.Workspace}/webhooks", tenant.Token);
        Assert.Equal(System.Text.Json.JsonValueKind.Null, listed.Json[0].GetProperty("pausedAt").ValueKind);
    }

    [Fact]
    public async Task Bound_devices_can_be_changed_within_the_workspace_and_another_tenants_device_is_refused()
    {
        var tenant = await host.NewTenantAsync("edit");
        var bound = await host.NewDeviceAsync(tenant, "Bound probe");
        var added = await host.NewDeviceAsync(tenant, "Added probe");
        var webhook = await host.NewWebhookAsync(tenant, bound);
        var (boundUplinks, addedUplinks) = (new Uplinks(bound.DevEui!), new Uplinks(added.DevEui!));
        await Senders.AcceptedAsync(() => Senders.WebhookAsync(_api.Http, webhook, boundUplinks.Next()), "the created webhook");
        Assert.Equal(HttpStatusCode.NotFound, (await Senders.WebhookAsync(_api.Http, webhook, addedUplinks.Next())).Status);

        // Another tenant's device: refused, and nothing changes.
        var other = await host.NewTenantAsync("edit-other");
        var foreign = await host.NewDeviceAsync(other, "Foreign probe");
        var refused = await _api.SendAsync(HttpMethod.Patch, $"/v1/webhooks/{webhook.Id}", tenant.Token, new { devices = new[] { bound.Id, added.Id, foreign.Id } });
        Assert.Equal(HttpStatusCode.BadRequest, refused.Status);
        Assert.DoesNotContain(foreign.Id, refused.Body, StringComparison.Ordinal);
        Assert.Equal([bound.Id], await BoundDevicesAsync(tenant));

        var edited = await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Patch, $"/v1/webhooks/{webhook.Id}", tenant.Token, new { devices = new[] { bound.Id, added.Id } });
        Assert.Equal(2, edited.Json.GetProperty("devices").GetArrayLength());
        await Senders.AcceptedAsync(() => Senders.WebhookAsync(_api.Http, webhook, addedUplinks.Next()), "the newly bound device");

        await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Patch, $"/v1/webhooks/{webhook.Id}", tenant.Token, new { devices = new[] { added.Id } });
        var unbound = await Until.Async(() => Senders.WebhookAsync(_api.Http, webhook, boundUplinks.Next()), a => a.Status != HttpStatusCode.Accepted, "the unbound device refused");
        Assert.Equal(HttpStatusCode.NotFound, unbound.Status);
        Assert.Equal([added.Id], await BoundDevicesAsync(tenant));
    }

    [Fact]
    public async Task A_second_tenant_can_neither_rotate_nor_pause_nor_edit_the_first_ones_webhook()
    {
        var owner = await host.NewTenantAsync("victim");
        var device = await host.NewDeviceAsync(owner, "Victim probe");
        var webhook = await host.NewWebhookAsync(owner, device);
        var attacker = await host.NewTenantAsync("attacker");
        var attackerDevice = await host.NewDeviceAsync(attacker, "Attacker probe");

        foreach (var (method, path, body) in new (HttpMethod, string, object?)[]
        {
            (HttpMethod.Post, $"/v1/webhooks/{webhook.Id}/rotate", new { overlapSeconds = 0 }),
            (HttpMethod.Post, $"/v1/webhooks/{webhook.Id}/pause", null),
            (HttpMethod.Post, $"/v1/webhooks/{webhook.Id}/resume", null),
            (HttpMethod.Patch, $"/v1/webhooks/{webhook.Id}", new { devices = new[] { attackerDevice.Id } }),
            (HttpMethod.Delete, $"/v1/webhooks/{webhook.Id}", null),
        })
        {
            var answer = await _api.SendAsync(method, path, attacker.Token, body ?? (method == HttpMethod.Post ? new { } : null));
            Assert.True(answer.Status == HttpStatusCode.NotFound, $"{method} {path}: expected 404, got {(int)answer.Status}: {answer.Body}");
            Assert.DoesNotContain(owner.Workspace, answer.Body, StringComparison.Ordinal);
        }

        // The owner's webhook is as it was: its first token and secret work, it is not paused, its device is its own.
        var uplinks = new Uplinks(device.DevEui!);
        await Senders.AcceptedAsync(() => Senders.WebhookAsync(_api.Http, webhook, uplinks.Next()), "the untouched webhook");
        Assert.Equal([device.Id], await BoundDevicesAsync(owner));
        var listed = await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/v1/workspaces/{owner.Workspace}/webhooks", owner.Token);
        Assert.Equal(System.Text.Json.JsonValueKind.Null, listed.Json[0].GetProperty("pausedAt").ValueKind);
        Assert.Equal(System.Text.Json.JsonValueKind.Null, listed.Json[0].GetProperty("previousTokenValidUntil").ValueKind);
    }

    [Fact]
    public async Task The_webhook_url_is_absolute_from_the_request_or_the_proxy_in_front_and_takes_requests()
    {
        var tenant = await host.NewTenantAsync("url");
        var device = await host.NewDeviceAsync(tenant, "Url probe");
        var created = await _api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/workspaces/{tenant.Workspace}/webhooks", tenant.Token,
            new { kind = "tts", devices = new[] { device.Id } });
        var id = created.Str("id");
        var url = created.Str("url");
        Assert.Equal($"http://127.0.0.1:{host.Host.HttpPort}/v1/webhooks/{id}", url);
        Assert.Equal(new Uri(url), created.Message.Headers.Location);

        // The URL as given, with a fresh client (no base address): a network server would call exactly this.
        using (var sender = new HttpClient())
        {
            var webhook = new TestWebhook(id, created.Str("token"), null);
            var uplinks = new Uplinks(device.DevEui!);
            await Senders.AcceptedAsync(() => SendToAsync(sender, url, webhook, uplinks.Next()), "the absolute URL");
        }

        // Through the configured proxy (loopback here): its scheme and the public host name it forwards.
        using var proxied = new HttpRequestMessage(HttpMethod.Get, $"/v1/workspaces/{tenant.Workspace}/webhooks");
        proxied.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", tenant.Token);
        proxied.Headers.Host = "streams.example.test";
        proxied.Headers.Add("X-Forwarded-Proto", "https");
        proxied.Headers.Add("X-Forwarded-For", "203.0.113.50");
        using var response = await _api.Http.SendAsync(proxied);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var listed = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal($"https://streams.example.test/v1/webhooks/{id}", listed[0].GetProperty("url").GetString());
    }

    private const System.Text.Json.JsonValueKind JsonValueKindString = System.Text.Json.JsonValueKind.String;

    private async Task<string[]> BoundDevicesAsync(LifecycleTenant tenant)
    {
        var listed = await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/v1/workspaces/{tenant.Workspace}/webhooks", tenant.Token);
        return [.. listed.Json[0].GetProperty("devices").EnumerateArray().Select(d => d.GetString()!).Order(StringComparer.Ordinal)];
    }

    private static async Task<(HttpStatusCode Status, string Body)> SendToAsync(HttpClient sender, string url, TestWebhook webhook, string body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json") };
        request.Headers.Add("X-Webhook-Token", webhook.Token);
        using var response = await sender.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>TTS uplinks of one device with rising frame counters.</summary>
    private sealed class Uplinks(string devEui)
    {
        private uint _counter;

        public string Next() => UplinkBodies.Tts(devEui, "session-1", ++_counter, DateTimeOffset.UtcNow, 20.5, 40);
    }
}

public sealed record LifecycleTenant(string Token, string Workspace);

/// <summary>The executable with a known operator token and loopback as its configured reverse proxy.</summary>
public sealed class WebhookLifecycleHost() : OperatedHost(new Dictionary<string, string> { ["Proxies__KnownProxies__0"] = "127.0.0.1" })
{
    public async Task<LifecycleTenant> NewTenantAsync(string label)
    {
        var user = await Api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, "/v1/users", OperatorToken, new { email = $"{label}-{Guid.NewGuid():N}@example.test" });
        var token = user.Str("token");
        var me = await Api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/v1/me", token);
        return new LifecycleTenant(token, me.Str("homeWorkspaceId"));
    }

    public async Task<TestDevice> NewDeviceAsync(LifecycleTenant tenant, string name)
    {
        var devEui = Convert.ToHexString(RandomNumberGenerator.GetBytes(8));
        var id = (await Api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/workspaces/{tenant.Workspace}/devices", tenant.Token, new { name, devEui })).Str("id");
        return new TestDevice(id, "", "", devEui);
    }

    /// <summary>A signed TTS webhook bound to <paramref name="device"/>.</summary>
    public async Task<TestWebhook> NewWebhookAsync(LifecycleTenant tenant, TestDevice device)
    {
        var created = await Api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/workspaces/{tenant.Workspace}/webhooks", tenant.Token,
            new { kind = "tts", devices = new[] { device.Id }, signed = true });
        return new TestWebhook(created.Str("id"), created.Str("token"), created.Str("secret"));
    }
}
