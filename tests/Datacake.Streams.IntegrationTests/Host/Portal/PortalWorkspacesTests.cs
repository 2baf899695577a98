using System.Net;
using Datacake.Streams.IntegrationTests.EndToEnd;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Datacake.Streams.IntegrationTests.Host.Portal;

/// <summary>The workspaces page in the browser: sub-workspaces made in the page appear nested under their parent.</summary>
[Collection(EndToEndCollection.Name)]
public sealed class PortalWorkspacesTests(EndToEndHost e2e, PortalBrowser browser) : IClassFixture<PortalBrowser>
{
    private string BaseUrl => $"http://127.0.0.1:{e2e.Host.HttpPort}";

    [Fact]
    public async Task Sub_workspaces_made_in_the_page_are_shown_nested_under_their_parent()
    {
        var owner = await PortalUser.NewAsync(e2e, "tree");
        var page = await browser.NewPageAsync(BaseUrl);
        await PortalBrowser.SignInAsync(page, owner.Token);

        // A sub-workspace of home, then one inside it, both through the form.
        await page.GotoAsync("/#/workspaces");
        await page.GetByLabel("Name").FillAsync("Plant north");
        await page.GetByLabel("Inside").SelectOptionAsync(owner.Workspace);
        await page.GetByRole(AriaRole.Button, new() { Name = "Create workspace" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("Devices in Plant north");
        var north = Uri.UnescapeDataString(page.Url.Split("#/w/")[1].Split('/')[0]);

        await page.GotoAsync("/#/workspaces");
        await page.GetByLabel("Name").FillAsync("Boiler hall");
        await page.GetByLabel("Inside").SelectOptionAsync(north);
        await page.GetByRole(AriaRole.Button, new() { Name = "Create workspace" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("Devices in Boiler hall");
        var hall = Uri.UnescapeDataString(page.Url.Split("#/w/")[1].Split('/')[0]);

        // The tree: home at the top, north inside it, the hall inside north; the API agrees on the parents.
        await page.GotoAsync("/#/workspaces");
        var home = page.Locator("main > section > ul.tree > li").Filter(new() { Has = page.Locator($"a[href='#/w/{owner.Workspace}/devices']") });
        await Expect(home).ToHaveCountAsync(1);
        var northItem = home.Locator("> ul.tree > li").Filter(new() { Has = page.Locator($"a[href='#/w/{north}/devices']") });
        await Expect(northItem).ToHaveCountAsync(1);
        await Expect(northItem.Locator($"> ul.tree > li > a[href='#/w/{hall}/devices']")).ToHaveTextAsync("Boiler hall");
        await Expect(page.Locator("main > section > ul.tree > li")).ToHaveCountAsync(1);
        await Expect(northItem.Locator("> .badge").First).ToHaveTextAsync("owner");
        var me = await e2e.Api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/v1/me", owner.Token);
        var parents = me.Json.GetProperty("workspaces").EnumerateArray().ToDictionary(w => w.GetProperty("id").GetString()!, w => w.GetProperty("parentId").GetString());
        Assert.Equal(owner.Workspace, parents[north]);
        Assert.Equal(north, parents[hall]);
        await PortalBrowser.AssertAccessibleAsync(page, "workspaces tree");
        await PortalBrowser.ScreenshotAsync(page, "workspaces");
        PortalBrowser.AssertNoScriptErrors(page);
    }
}
