using System.Net;
using Datacake.Streams.IntegrationTests.EndToEnd;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Datacake.Streams.IntegrationTests.Host.Portal;

/// <summary>
/// Members in the browser: a role changed with the members list's selector (the API's state checked after), the last
/// owner's refusal shown as the API says it, and an invitation to an e-mail nobody has yet, accepted by the user
/// created later with it; declining in the page.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class PortalMembersTests(EndToEndHost e2e, PortalBrowser browser) : IClassFixture<PortalBrowser>
{
    private string BaseUrl => $"http://127.0.0.1:{e2e.Host.HttpPort}";

    [Fact]
    public async Task An_owner_changes_a_role_with_the_selector_and_the_last_owner_keeps_theirs()
    {
        var owner = await NewUserAsync("owner");
        var member = await NewUserAsync("member");
        await JoinAsync(owner, member, "viewer");

        var page = await browser.NewPageAsync(BaseUrl);
        await PortalBrowser.SignInAsync(page, owner.Token);
        await page.GotoAsync($"/#/w/{owner.Workspace}/members");
        var memberRole = page.GetByLabel($"Role of {member.Email}");
        await Expect(memberRole).ToHaveValueAsync("viewer");
        await PortalBrowser.AssertAccessibleAsync(page, "members with role selectors");

        await memberRole.SelectOptionAsync("admin");
        await Expect(page.GetByRole(AriaRole.Status).Filter(new() { HasText = $"{member.Email} is now admin" })).ToBeVisibleAsync();
        Assert.Equal("admin", await RoleAsync(owner, member.Id));

        // The last owner: the API's 409 shown as it says it, the selector back on the role held, nothing changed.
        var ownRole = page.GetByLabel($"Role of {owner.Email}");
        await ownRole.SelectOptionAsync("editor");
        await Expect(page.Locator("main .problem")).ToContainTextAsync("last-owner");
        await Expect(ownRole).ToHaveValueAsync("owner");
        Assert.Equal("owner", await RoleAsync(owner, owner.Id));

        // An admin sees selectors up to admin (none for the owner); made viewer, the member sees none at all.
        var memberPage = await browser.NewPageAsync(BaseUrl);
        await PortalBrowser.SignInAsync(memberPage, member.Token);
        await memberPage.GotoAsync($"/#/w/{owner.Workspace}/members");
        await Expect(memberPage.GetByLabel($"Role of {member.Email}").Locator("option")).ToHaveTextAsync(["viewer", "editor", "admin"]);
        await Expect(memberPage.GetByLabel($"Role of {owner.Email}")).ToHaveCountAsync(0);
        await memberRole.SelectOptionAsync("viewer");
        await Expect(page.GetByRole(AriaRole.Status).Filter(new() { HasText = $"{member.Email} is now viewer" })).ToBeVisibleAsync();
        Assert.Equal("viewer", await RoleAsync(owner, member.Id));
        await memberPage.ReloadAsync();
        await Expect(memberPage.Locator("table.members")).ToContainTextAsync("viewer");
        await Expect(memberPage.Locator("table.members select")).ToHaveCountAsync(0);
        await Expect(memberPage.GetByLabel("E-mail address")).ToHaveCountAsync(0);

        PortalBrowser.AssertNoScriptErrors(page);
        PortalBrowser.AssertNoScriptErrors(memberPage);
    }

    [Fact]
    public async Task An_invitation_to_an_e_mail_without_a_user_is_accepted_by_the_user_created_later_and_another_is_declined()
    {
        var owner = await NewUserAsync("owner");
        var later = $"later-{Guid.NewGuid():N}@example.test";
        var page = await browser.NewPageAsync(BaseUrl);
        await PortalBrowser.SignInAsync(page, owner.Token);
        await page.GotoAsync($"/#/w/{owner.Workspace}/members");
        await page.GetByLabel("E-mail address").FillAsync(later);
        await page.GetByLabel("Role", new() { Exact = true }).SelectOptionAsync("editor");
        await page.GetByRole(AriaRole.Button, new() { Name = "Invite", Exact = true }).ClickAsync();
        await Expect(page.Locator("table.invitations")).ToContainTextAsync(later);

        // A second, to someone who will decline it.
        var decliner = await NewUserAsync("decliner");
        await page.GetByLabel("E-mail address").FillAsync(decliner.Email);
        await page.GetByRole(AriaRole.Button, new() { Name = "Invite", Exact = true }).ClickAsync();
        await Expect(page.Locator("table.invitations")).ToContainTextAsync(decliner.Email);
        await PortalBrowser.AssertAccessibleAsync(page, "members with open invitations");
        await PortalBrowser.ScreenshotAsync(page, "members");

        // The operator creates the user afterwards; signed in, they find the invitation waiting and accept it.
        var created = await e2e.Api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, "/v1/users", e2e.OperatorToken, new { email = later });
        var laterPage = await browser.NewPageAsync(BaseUrl);
        await PortalBrowser.SignInAsync(laterPage, created.Str("token"));
        await laterPage.GotoAsync("/#/account");
        var row = laterPage.Locator("tr[data-invitation]");
        await Expect(row).ToHaveCountAsync(1);
        await Expect(row).ToContainTextAsync("editor");
        await row.GetByRole(AriaRole.Button, new() { Name = "Accept" }).ClickAsync();
        await Expect(laterPage.GetByText("You joined")).ToBeVisibleAsync();
        await laterPage.GetByRole(AriaRole.Link, new() { Name = "Open its devices" }).ClickAsync();
        await Expect(laterPage.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToContainTextAsync("Devices in ");
        Assert.Equal("editor", await RoleAsync(owner, created.Str("id")));

        // The decliner declines: the invitation is gone for both, and they reach nothing.
        var declinerPage = await browser.NewPageAsync(BaseUrl);
        await PortalBrowser.SignInAsync(declinerPage, decliner.Token);
        await declinerPage.GotoAsync("/#/account");
        await declinerPage.Locator("tr[data-invitation]").GetByRole(AriaRole.Button, new() { Name = "Decline" }).ClickAsync();
        await Expect(declinerPage.GetByText("No invitation is waiting for you.")).ToBeVisibleAsync();
        await page.ReloadAsync();
        await Expect(page.Locator("main")).Not.ToContainTextAsync(decliner.Email);
        await e2e.Api.ExpectAsync(HttpStatusCode.NotFound, HttpMethod.Get, $"/v1/workspaces/{owner.Workspace}", decliner.Token);

        PortalBrowser.AssertNoScriptErrors(page);
        PortalBrowser.AssertNoScriptErrors(laterPage);
        PortalBrowser.AssertNoScriptErrors(declinerPage);
    }

    private Task<string?> RoleAsync(PortalUser owner, string userId) => owner.RoleOfAsync(e2e, owner.Workspace, userId);

    private async Task JoinAsync(PortalUser owner, PortalUser member, string role)
    {
        var invitation = await e2e.Api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/workspaces/{owner.Workspace}/invitations", owner.Token, new { email = member.Email, role });
        await e2e.Api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Post, $"/v1/invitations/{invitation.Str("id")}/accept", member.Token);
    }

    private Task<PortalUser> NewUserAsync(string label) => PortalUser.NewAsync(e2e, label);
}
