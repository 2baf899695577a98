using System.Net;
using System.Text.Json;
using Datacake.Streams.IntegrationTests.EndToEnd;
using Datacake.Streams.IntegrationTests.Services;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Datacake.Streams.IntegrationTests.Host.Portal;

/// <summary>
/// The portal in a real browser (Debian's chromium through Playwright) against the real executable, its influxd and
/// FasterLog (the end-to-end host): what a device owner, an invited member, a second tenant and the operator see.
/// Every page passes axe without a serious or critical violation.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class PortalTests(EndToEndHost e2e, PortalBrowser browser) : IClassFixture<PortalBrowser>
{
    private string BaseUrl => $"http://127.0.0.1:{e2e.Host.HttpPort}";

    [Fact]
    public async Task A_new_user_signs_in_creates_a_device_and_a_token_and_sees_HTTP_and_MQTT_measurements_in_the_table_and_the_chart()
    {
        var owner = await NewUserAsync("owner");
        var page = await browser.NewPageAsync(BaseUrl);

        // Served by the host with its CSP (no inline script anywhere); the API stays under /v1.
        var response = await page.GotoAsync("/");
        Assert.NotNull(response);
        Assert.Contains("script-src 'self'", await response.HeaderValueAsync("content-security-policy") ?? string.Empty, StringComparison.Ordinal);
        Assert.Equal("nosniff", await response.HeaderValueAsync("x-content-type-options"));

        // Sign in with the keyboard alone: the skip link, then the token field, then Enter.
        await Expect(page.GetByLabel("Token")).ToBeVisibleAsync();
        await PortalBrowser.AssertAccessibleAsync(page, "sign-in");
        await PortalBrowser.ScreenshotAsync(page, "signin");
        await page.Keyboard.PressAsync("Tab");
        await page.Keyboard.PressAsync("Tab");
        Assert.Equal("token", await page.EvaluateAsync<string>("document.activeElement.name"));
        await page.Keyboard.TypeAsync(owner.Token);
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^Devices in "));
        Assert.DoesNotContain(owner.Token, page.Url, StringComparison.Ordinal);
        Assert.Equal(owner.Token, await page.EvaluateAsync<string>("sessionStorage.getItem('dcs.token')"));
        await Expect(page.GetByText("No devices yet.")).ToBeVisibleAsync();

        // A device, then its token: shown once, with a copy button.
        await page.GetByLabel("Name").FillAsync("Boiler room");
        await page.GetByLabel("DevEUI (LoRaWAN)").FillAsync("70B3D57ED0001234");
        await page.GetByRole(AriaRole.Button, new() { Name = "Add device" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Boiler room", Level = 1 })).ToBeVisibleAsync();
        var deviceId = page.Url[(page.Url.IndexOf("#/d/", StringComparison.Ordinal) + 4)..];
        await page.GetByRole(AriaRole.Button, new() { Name = "Create token" }).ClickAsync();
        var tokenText = page.Locator("code[data-secret]");
        await Expect(tokenText).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^dcs_"));
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Copy token" })).ToBeVisibleAsync();
        var deviceToken = (await tokenText.TextContentAsync())!;

        // One measurement over HTTP, one over MQTT (mosquitto_pub against the host's own listener).
        var device = new TestDevice(deviceId, string.Empty, deviceToken);
        await Senders.AcceptedAsync(() => Senders.MeasurementAsync(e2e.Host.Http, device, "{\"temperature\":21.5}"), "the device token over HTTP");
        await Until.Async(
            () => ExternalCommand.RunAsync("mosquitto_pub", TimeSpan.FromSeconds(20),
                "-h", "127.0.0.1", "-p", e2e.MqttPort.ToString(System.Globalization.CultureInfo.InvariantCulture), "-u", deviceId, "-P", deviceToken,
                "-t", $"devices/{deviceId}/measurements", "-q", "1", "-m", "{\"humidity\":40}"),
            r => r.ExitCode == 0, "mosquitto_pub accepted");

        // Both appear in the table (polled) ...
        await page.GetByRole(AriaRole.Navigation).GetByRole(AriaRole.Link, new() { Name = "Devices" }).ClickAsync();
        var row = page.Locator($"tr[data-device='{deviceId}'] td.values");
        await Expect(row).ToContainTextAsync("temperature 21.5");
        await Expect(row).ToContainTextAsync("humidity 40");
        await Expect(page.Locator($"tr[data-device='{deviceId}']")).ToContainTextAsync("DevEUI 70B3D57ED0001234");
        await PortalBrowser.AssertAccessibleAsync(page, "devices");
        await PortalBrowser.ScreenshotAsync(page, "devices");

        // Search (by DevEUI too) and sort.
        await page.GetByLabel("Search").FillAsync("nothing like it");
        await Expect(page.Locator("table.devices tbody tr")).ToHaveCountAsync(0);
        await page.GetByLabel("Search").FillAsync("70b3d57e");
        await Expect(page.Locator("table.devices tbody tr")).ToHaveCountAsync(1);
        await page.GetByRole(AriaRole.Button, new() { Name = "Name" }).ClickAsync();
        await Expect(page.Locator("th[aria-sort='descending']")).ToHaveTextAsync("Name");

        // ... and in the chart with its statistics.
        await page.GetByRole(AriaRole.Link, new() { Name = "Boiler room" }).ClickAsync();
        await Expect(page.Locator(".chart canvas")).ToBeVisibleAsync();
        await Expect(page.Locator("table.stats")).ToContainTextAsync("temperature");
        await Expect(page.Locator("table.stats")).ToContainTextAsync("humidity");
        await page.GetByRole(AriaRole.Button, new() { Name = "24 hours" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status).Filter(new() { HasText = "every 5m" })).ToBeVisibleAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "1 hour" }).ClickAsync();
        await Expect(page.Locator("table.stats")).ToContainTextAsync("21.5");
        await PortalBrowser.AssertAccessibleAsync(page, "device");
        await PortalBrowser.ScreenshotAsync(page, "device");

        await IntegrationsAsync(page, deviceId);
        foreach (var (link, name) in new[] { ("Members", "members"), ("Audit", "audit"), ("Account", "account"), ("Workspaces", "workspaces") })
        {
            await page.GetByRole(AriaRole.Navigation).GetByRole(AriaRole.Link, new() { Name = link }).ClickAsync();
            await Expect(page.Locator("main h1")).ToBeVisibleAsync();
            await Expect(page.Locator("main .problem")).ToHaveCountAsync(0);
            await PortalBrowser.AssertAccessibleAsync(page, name);
            if (name is not ("members" or "workspaces"))
            {
                // Those pictures come from PortalMembersTests (open invitations, role selectors) and
                // PortalWorkspacesTests (a tree with sub-workspaces).
                await PortalBrowser.ScreenshotAsync(page, name);
            }

            if (name == "account")
            {
                // The e-mail and id an admin invites this person by.
                await Expect(page.Locator("main")).ToContainTextAsync(owner.Id);
                await Expect(page.Locator("main")).ToContainTextAsync(owner.Email);
            }
        }

        await DeleteAndRestoreAsync(page, deviceId);
        await PhoneAsync(owner.Token, deviceId);

        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await Expect(page.GetByLabel("Token")).ToBeVisibleAsync();
        Assert.Null(await page.EvaluateAsync<string?>("sessionStorage.getItem('dcs.token')"));
        PortalBrowser.AssertNoScriptErrors(page);
    }

    [Fact]
    public async Task An_invited_member_accepts_in_a_second_browser_context_and_sees_the_workspace_and_a_second_tenant_sees_none_of_it()
    {
        var owner = await NewUserAsync("owner");
        var member = await NewUserAsync("member");
        var stranger = await NewUserAsync("stranger");
        var deviceId = (await e2e.Api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/workspaces/{owner.Workspace}/devices", owner.Token, new { name = "Shared pump" })).Str("id");

        var ownerPage = await browser.NewPageAsync(BaseUrl);
        await PortalBrowser.SignInAsync(ownerPage, owner.Token);
        await ownerPage.GotoAsync($"/#/w/{owner.Workspace}/members");
        await ownerPage.GetByLabel("E-mail address").FillAsync(member.Email);
        await ownerPage.GetByLabel("Role", new() { Exact = true }).SelectOptionAsync("editor");
        await ownerPage.GetByRole(AriaRole.Button, new() { Name = "Invite", Exact = true }).ClickAsync();
        await Expect(ownerPage.GetByRole(AriaRole.Status).Filter(new() { HasText = $"Invited {member.Email} as editor" })).ToBeVisibleAsync();
        await Expect(ownerPage.Locator("table.invitations")).ToContainTextAsync(member.Email);
        await Expect(ownerPage.Locator("table.invitations")).ToContainTextAsync("pending");

        // The member finds it on their Account page (no id handed over) and accepts it there.
        var memberPage = await browser.NewPageAsync(BaseUrl);
        await PortalBrowser.SignInAsync(memberPage, member.Token);
        await memberPage.GotoAsync("/#/account");
        var waiting = memberPage.Locator("tr[data-invitation]");
        await Expect(waiting).ToContainTextAsync("editor");
        await PortalBrowser.AssertAccessibleAsync(memberPage, "account with an invitation");
        await waiting.GetByRole(AriaRole.Button, new() { Name = "Accept" }).ClickAsync();
        await Expect(memberPage.GetByText("You joined")).ToBeVisibleAsync();
        await Expect(memberPage.Locator("tr[data-invitation]")).ToHaveCountAsync(0);
        await memberPage.GetByRole(AriaRole.Link, new() { Name = "Open its devices" }).ClickAsync();
        await Expect(memberPage.Locator($"tr[data-device='{deviceId}']")).ToContainTextAsync("Shared pump");
        await memberPage.GotoAsync("/#/workspaces");
        await Expect(memberPage.Locator($"main a[href='#/w/{owner.Workspace}/devices']")).ToBeVisibleAsync();

        // The owner sees the new member; the invitation is no longer open.
        await ownerPage.ReloadAsync();
        await Expect(ownerPage.Locator("table.members")).ToContainTextAsync("editor");
        await Expect(ownerPage.Locator("table.members")).ToContainTextAsync(member.Email);

        // A second tenant: its own empty workspace, and the owner's device and workspace are "no such" to it.
        var strangerPage = await browser.NewPageAsync(BaseUrl);
        await PortalBrowser.SignInAsync(strangerPage, stranger.Token);
        await Expect(strangerPage.GetByText("No devices yet.")).ToBeVisibleAsync();
        await Expect(strangerPage.Locator("main")).Not.ToContainTextAsync("Shared pump");
        await strangerPage.GotoAsync("/#/workspaces");
        await Expect(strangerPage.Locator("main ul.tree a")).ToHaveCountAsync(1);
        await Expect(strangerPage.Locator($"a[href='#/w/{owner.Workspace}/devices']")).ToHaveCountAsync(0);
        await strangerPage.GotoAsync($"/#/d/{deviceId}");
        await Expect(strangerPage.Locator("main .problem")).ToContainTextAsync("404");
        await Expect(strangerPage.Locator("main")).Not.ToContainTextAsync("Shared pump");
        await strangerPage.GotoAsync($"/#/w/{owner.Workspace}/devices");
        await Expect(strangerPage.Locator("main .problem")).ToContainTextAsync("No such workspace");
        await PortalBrowser.AssertAccessibleAsync(strangerPage, "not found");
        PortalBrowser.AssertNoScriptErrors(ownerPage);
        PortalBrowser.AssertNoScriptErrors(memberPage);
        PortalBrowser.AssertNoScriptErrors(strangerPage);
    }

    [Fact]
    public async Task The_operator_sees_retention_tiers_and_backups_and_no_device()
    {
        await e2e.NewDeviceAsync("Operator must not see this");
        var page = await browser.NewPageAsync(BaseUrl);
        await PortalBrowser.SignInAsync(page, e2e.OperatorToken);
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Operator", Level = 1 })).ToBeVisibleAsync();
        foreach (var tier in new[] { "raw", "m1", "h1", "meta" })
        {
            await Expect(page.Locator($"table.tiers tr[data-tier='{tier}']")).ToBeVisibleAsync();
        }

        await Expect(page.GetByRole(AriaRole.Navigation).GetByRole(AriaRole.Link)).ToHaveTextAsync(["Operator"]);

        // The API's validation message, as it says it: a rollup tier may not be shorter-lived than the one below.
        await page.GetByLabel("m1 duration").FillAsync("1h");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save retention" }).ClickAsync();
        await Expect(page.Locator("main .problem")).ToContainTextAsync("400");
        await Expect(page.Locator("main .problem")).ToContainTextAsync("invalid-retention");

        await page.GetByRole(AriaRole.Button, new() { Name = "Run backup now" }).ClickAsync();
        var backup = page.Locator("tr[data-backup]").First;
        await Expect(backup).ToBeVisibleAsync(new() { Timeout = 120_000 });
        await backup.GetByRole(AriaRole.Button, new() { Name = "Verify" }).ClickAsync();
        await Expect(page.Locator("tr[data-backup]").First).ToContainTextAsync("ok");
        await PortalBrowser.AssertAccessibleAsync(page, "operator");
        await PortalBrowser.ScreenshotAsync(page, "operator");

        await Expect(page.Locator("main")).Not.ToContainTextAsync("Operator must not see this");
        await page.GotoAsync($"/#/w/{e2e.WorkspaceId}/devices");
        await Expect(page.Locator("main .problem")).ToContainTextAsync("No such workspace");
        PortalBrowser.AssertNoScriptErrors(page);
    }

    private async Task IntegrationsAsync(IPage page, string deviceId)
    {
        await page.GetByRole(AriaRole.Navigation).GetByRole(AriaRole.Link, new() { Name = "Integrations" }).ClickAsync();
        await page.GetByLabel("Network").SelectOptionAsync("particle");
        await page.GetByRole(AriaRole.Group, new() { Name = "Devices it may write" }).GetByLabel("Boiler room").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Create webhook" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Paste into Particle" })).ToBeVisibleAsync();
        await Expect(page.Locator(".secret")).ToContainTextAsync("/v1/webhooks/");
        await Expect(page.Locator(".secret")).ToContainTextAsync("X-Webhook-Token: dcs_");
        await Expect(page.Locator(".secret")).ToContainTextAsync("{{{PARTICLE_EVENT_VALUE}}}");

        await page.GetByLabel("Device", new() { Exact = true }).SelectOptionAsync(deviceId);
        await Expect(page.Locator("main")).ToContainTextAsync($"devices/{deviceId}/measurements");

        // A decoder: saved, then tried against a sample payload (0x0867 = 2151 → 21.51).
        await page.GetByLabel("Name").FillAsync("two-byte temperature");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save decoder" }).ClickAsync();
        await Expect(page.GetByText("Saved two-byte temperature")).ToBeVisibleAsync();
        // The dry run's budget is 100 ms; the engine's first run on a busy 2-core machine can exceed it, and the page
        // then shows the API's 422 as it says it. Clicking again is what a person would do.
        var fields = page.Locator("table.fields");
        for (var attempt = 0; attempt < 5 && !await fields.IsVisibleAsync(); attempt++)
        {
            await page.GetByRole(AriaRole.Button, new() { Name = "Test with the sample" }).ClickAsync();
            await Expect(page.Locator("table.fields, main .problem:has-text('decode-failed')").First).ToBeVisibleAsync();
        }

        await Expect(fields).ToContainTextAsync("21.51");
        await PortalBrowser.AssertAccessibleAsync(page, "integrations");
        await PortalBrowser.ScreenshotAsync(page, "integrations");
    }

    private static async Task DeleteAndRestoreAsync(IPage page, string deviceId)
    {
        await page.GotoAsync($"/#/d/{deviceId}");
        await page.GetByRole(AriaRole.Button, new() { Name = "Delete device…" }).ClickAsync();
        var confirm = page.GetByRole(AriaRole.Button, new() { Name = "Delete device", Exact = true });
        await Expect(confirm).ToBeDisabledAsync();
        await page.GetByLabel("Type the device name").FillAsync("Boiler room");
        await confirm.ClickAsync();
        await Expect(page.GetByText("Boiler room is deleted")).ToBeVisibleAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Restore device" }).ClickAsync();
        // The status line, not the danger zone's explanation ("It can be restored within the recovery window").
        await Expect(page.GetByRole(AriaRole.Status).Filter(new() { HasText = "Restored:" })).ToBeVisibleAsync();
    }

    private async Task PhoneAsync(string token, string deviceId)
    {
        var phone = await browser.NewPageAsync(BaseUrl, 390, 844);
        await PortalBrowser.SignInAsync(phone, token);
        await Expect(phone.Locator($"tr[data-device='{deviceId}']")).ToBeVisibleAsync();
        await PortalBrowser.ScreenshotAsync(phone, "devices-phone");
        var width = await phone.EvaluateAsync<int>("document.documentElement.scrollWidth");
        Assert.True(width <= 390, $"the devices page is {width} px wide on a 390 px phone: it scrolls sideways");
        await PortalBrowser.AssertAccessibleAsync(phone, "devices on a phone");
        await phone.Context.CloseAsync();
    }

    private Task<PortalUser> NewUserAsync(string label) => PortalUser.NewAsync(e2e, label);
}
