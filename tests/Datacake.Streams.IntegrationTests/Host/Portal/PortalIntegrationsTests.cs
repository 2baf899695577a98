using System.Globalization;
using System.Net;
using Datacake.Streams.IntegrationTests.EndToEnd;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Datacake.Streams.IntegrationTests.Host.Portal;

/// <summary>
/// Integrations in the browser: a webhook paused and resumed from its row (the API's state and the webhook's answer
/// checked after each click), and the MQTT settings as the node listens (the end-to-end host's random ports, not the
/// defaults).
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class PortalIntegrationsTests(EndToEndHost e2e, PortalBrowser browser) : IClassFixture<PortalBrowser>
{
    private string BaseUrl => $"http://127.0.0.1:{e2e.Host.HttpPort}";

    [Fact]
    public async Task A_webhook_is_paused_and_resumed_from_its_row_and_the_mqtt_panel_shows_the_configured_listeners()
    {
        var owner = await PortalUser.NewAsync(e2e, "hooks");
        var device = (await e2e.Api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/workspaces/{owner.Workspace}/devices", owner.Token, new { name = "Field gauge" })).Str("id");
        var webhook = await e2e.Api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/workspaces/{owner.Workspace}/webhooks", owner.Token, new { kind = "chirpstack", devices = new[] { device } });

        var page = await browser.NewPageAsync(BaseUrl);
        await PortalBrowser.SignInAsync(page, owner.Token);
        await page.GotoAsync($"/#/w/{owner.Workspace}/integrations");
        var row = page.Locator($"tr[data-webhook='{webhook.Str("id")}']");
        await Expect(row).ToContainTextAsync("active");

        await row.GetByRole(AriaRole.Button, new() { Name = "Pause" }).ClickAsync();
        await Expect(row).ToContainTextAsync("paused");
        Assert.Equal(System.Text.Json.JsonValueKind.String, (await WebhookAsync(owner, webhook.Str("id"))).GetProperty("pausedAt").ValueKind);
        await PortalBrowser.AssertAccessibleAsync(page, "integrations with a paused webhook");

        await row.GetByRole(AriaRole.Button, new() { Name = "Resume" }).ClickAsync();
        await Expect(row).ToContainTextAsync("active");
        await Expect(row.GetByRole(AriaRole.Button, new() { Name = "Pause" })).ToBeVisibleAsync();
        Assert.Equal(System.Text.Json.JsonValueKind.Null, (await WebhookAsync(owner, webhook.Str("id"))).GetProperty("pausedAt").ValueKind);

        // The MQTT settings: the node's configured listeners (random ports here), never the defaults.
        await page.GetByLabel("Device", new() { Exact = true }).SelectOptionAsync(device);
        var panel = page.Locator("section.card").Filter(new() { Has = page.GetByRole(AriaRole.Heading, new() { Name = "MQTT settings" }) });
        await Expect(panel.Locator(".copyable").Filter(new() { HasText = "Port (TLS)" }).Locator("code")).ToHaveTextAsync(e2e.MqttTlsPort.ToString(CultureInfo.InvariantCulture));
        await Expect(panel.Locator(".copyable").Filter(new() { HasText = "Port (plain, loopback only)" }).Locator("code")).ToHaveTextAsync(e2e.MqttPort.ToString(CultureInfo.InvariantCulture));
        await Expect(panel.Locator(".copyable").Filter(new() { HasText = "Host" }).First.Locator("code")).ToHaveTextAsync("127.0.0.1");
        await Expect(panel).ToContainTextAsync($"-p {e2e.MqttTlsPort.ToString(CultureInfo.InvariantCulture)} --cafile");
        await Expect(panel).Not.ToContainTextAsync("8883");
        await PortalBrowser.AssertAccessibleAsync(page, "integrations with MQTT settings");
        PortalBrowser.AssertNoScriptErrors(page);
    }

    private async Task<System.Text.Json.JsonElement> WebhookAsync(PortalUser owner, string id)
    {
        var hooks = await e2e.Api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/v1/workspaces/{owner.Workspace}/webhooks", owner.Token);
        return hooks.Json.EnumerateArray().Single(w => w.GetProperty("id").GetString() == id);
    }
}
