using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Datacake.Streams.IntegrationTests.EndToEnd;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Datacake.Streams.IntegrationTests.Host.Portal;

/// <summary>
/// A device's data and tokens in the browser: its sparkline in the devices table, the chart's field toggles, the CSV
/// of the range (the download's content), token rotate / disable / revoke (the API's state and the old and new
/// secrets checked after each click), and dead letters listed with their reason.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class PortalDeviceTests(EndToEndHost e2e, PortalBrowser browser) : IClassFixture<PortalBrowser>
{
    private string BaseUrl => $"http://127.0.0.1:{e2e.Host.HttpPort}";

    [Fact]
    public async Task The_table_draws_a_sparkline_the_chart_toggles_fields_and_the_csv_of_the_range_holds_the_points()
    {
        var owner = await PortalUser.NewAsync(e2e, "spark");
        var device = await NewDeviceAsync(owner, "Greenhouse");

        // Four points an hour apart (the sparkline reads hourly means) with two fields.
        var now = DateTimeOffset.UtcNow;
        var points = new[] { (-3, 18.25, 61), (-2, 19.5, 58), (-1, 23.75, 52), (0, 21.0, 55) }
            .Select(p => (Time: now.AddHours(p.Item1).AddMinutes(-2), Temperature: p.Item2, Humidity: p.Item3)).ToArray();
        var body = "[" + string.Join(',', points.Select(p => FormattableString.Invariant(
            $"{{\"time\":\"{p.Time:O}\",\"values\":{{\"temperature\":{p.Temperature},\"humidity\":{p.Humidity}}}}}"))) + "]";
        await Senders.AcceptedAsync(() => Senders.MeasurementAsync(e2e.Host.Http, device, body), "the device token");
        await Until.Async(
            () => e2e.Api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/v1/devices/{device.Id}/last", owner.Token),
            r => r.Body.Contains("21", StringComparison.Ordinal), "the last point stored");

        // The table: a sparkline of the main field, one vertex per hourly window with data.
        var page = await browser.NewPageAsync(BaseUrl);
        await PortalBrowser.SignInAsync(page, owner.Token);
        var spark = page.Locator($"tr[data-device='{device.Id}'] svg.spark");
        await Expect(spark).ToHaveAttributeAsync("aria-label", new Regex("^humidity, hourly means of the last 24 h: 52 to 61$"));
        var vertices = (await spark.Locator("polyline").GetAttributeAsync("points"))!.Split(' ');
        Assert.Equal(4, vertices.Length);
        var heights = vertices.Select(v => double.Parse(v.Split(',')[1], CultureInfo.InvariantCulture)).ToArray();
        // SVG's y grows downwards: the highest humidity (61, the first) on top, the lowest (52, the third) at the bottom.
        Assert.Equal(0, Array.IndexOf(heights, heights.Min()));
        Assert.Equal(2, Array.IndexOf(heights, heights.Max()));
        await PortalBrowser.AssertAccessibleAsync(page, "devices with sparklines");

        // The chart over 24 hours: both fields; a toggle hides one and shows it again.
        await page.GetByRole(AriaRole.Link, new() { Name = "Greenhouse" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "24 hours" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status).Filter(new() { HasText = "4 points from tier" })).ToBeVisibleAsync();
        var fields = page.GetByRole(AriaRole.Group, new() { Name = "Fields" });
        var legendOff = page.Locator(".chart .u-legend tr.u-series.u-off");
        await Expect(legendOff).ToHaveCountAsync(0);
        await fields.GetByLabel("humidity").UncheckAsync();
        await Expect(legendOff).ToHaveCountAsync(1);
        await Expect(legendOff).ToContainTextAsync("humidity");
        await fields.GetByLabel("humidity").CheckAsync();
        await Expect(legendOff).ToHaveCountAsync(0);
        await PortalBrowser.AssertAccessibleAsync(page, "device over 24 hours");

        // The CSV of the range: a download whose lines are the four windows' means, oldest first.
        var download = await page.RunAndWaitForDownloadAsync(() => page.GetByRole(AriaRole.Button, new() { Name = "Export CSV" }).ClickAsync());
        Assert.Equal("Greenhouse-24h.csv", download.SuggestedFilename);
        var lines = (await File.ReadAllTextAsync((await download.PathAsync())!)).TrimEnd('\n').Split('\n');
        Assert.Equal("time,humidity,temperature", lines[0]);
        Assert.Equal(points.Length + 1, lines.Length);
        foreach (var (line, point) in lines.Skip(1).Zip(points))
        {
            var cells = line.Split(',');
            var window = DateTimeOffset.Parse(cells[0], CultureInfo.InvariantCulture);
            Assert.InRange(point.Time - window, TimeSpan.Zero, TimeSpan.FromMinutes(5));
            Assert.Equal(point.Humidity, double.Parse(cells[1], CultureInfo.InvariantCulture));
            Assert.Equal(point.Temperature, double.Parse(cells[2], CultureInfo.InvariantCulture));
        }

        PortalBrowser.AssertNoScriptErrors(page);
    }

    [Fact]
    public async Task Rotate_disable_and_revoke_clicks_change_the_token_in_the_api_and_dead_letters_show_their_reason()
    {
        var owner = await PortalUser.NewAsync(e2e, "tokens");
        var device = await NewDeviceAsync(owner, "Cold store");

        // A point 40 days old is accepted (202) and then refused by processing (older than Processing:MaxAge).
        var old = DateTimeOffset.UtcNow.AddDays(-40).ToString("O", CultureInfo.InvariantCulture);
        await Senders.AcceptedAsync(() => Senders.MeasurementAsync(e2e.Host.Http, device, $"[{{\"time\":\"{old}\",\"values\":{{\"t\":1}}}}]"), "the device token");
        await Until.Async(
            () => e2e.Api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/v1/devices/{device.Id}/dead-letters", owner.Token),
            r => r.Body.Contains("too_old", StringComparison.Ordinal), "the dead letter listed");

        var page = await browser.NewPageAsync(BaseUrl);
        await PortalBrowser.SignInAsync(page, owner.Token);
        await page.GotoAsync($"/#/d/{device.Id}");
        var letter = page.Locator("table.dead-letters tr[data-reason='too_old']");
        await Expect(letter).ToHaveCountAsync(1);
        await Expect(letter).ToContainTextAsync("too_old");
        await Expect(letter).ToContainTextAsync("http");
        await PortalBrowser.AssertAccessibleAsync(page, "device with a dead letter");

        // Rotate: the page shows the new secret once; the old one is refused, the new one writes.
        var row = page.Locator($"tr[data-token='{device.TokenId}']");
        await Expect(row).ToContainTextAsync("active");
        await row.GetByRole(AriaRole.Button, new() { Name = "Rotate" }).ClickAsync();
        var secret = page.Locator(".secret code[data-secret]");
        await Expect(secret).ToHaveTextAsync(new Regex("^dcs_"));
        var rotated = (await secret.TextContentAsync())!;
        Assert.NotEqual(device.Token, rotated);
        await Until.Async(() => Senders.MeasurementAsync(e2e.Host.Http, device, "{\"t\":2}"), a => a.Status == HttpStatusCode.Unauthorized, "the old secret refused");
        await Senders.AcceptedAsync(() => Senders.MeasurementAsync(e2e.Host.Http, device, "{\"t\":3}", token: rotated), "the rotated secret");

        // Disable: the API says disabled, the secret is refused.
        await row.GetByRole(AriaRole.Button, new() { Name = "Disable" }).ClickAsync();
        await Expect(row).ToContainTextAsync("disabled");
        Assert.Equal(System.Text.Json.JsonValueKind.String, (await TokenAsync(owner, device.TokenId)).GetProperty("disabledAt").ValueKind);
        await Until.Async(() => Senders.MeasurementAsync(e2e.Host.Http, device, "{\"t\":4}", token: rotated), a => a.Status == HttpStatusCode.Unauthorized, "the disabled token refused");

        // Revoke: the API says revoked, and the row offers nothing more.
        await row.GetByRole(AriaRole.Button, new() { Name = "Revoke" }).ClickAsync();
        await Expect(row).ToContainTextAsync("revoked");
        await Expect(row.GetByRole(AriaRole.Button)).ToHaveCountAsync(0);
        Assert.Equal(System.Text.Json.JsonValueKind.String, (await TokenAsync(owner, device.TokenId)).GetProperty("revokedAt").ValueKind);
        await PortalBrowser.AssertAccessibleAsync(page, "device with a revoked token");
        PortalBrowser.AssertNoScriptErrors(page);
    }

    private async Task<System.Text.Json.JsonElement> TokenAsync(PortalUser owner, string tokenId)
    {
        var tokens = await e2e.Api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/v1/workspaces/{owner.Workspace}/tokens", owner.Token);
        return tokens.Json.EnumerateArray().Single(t => t.GetProperty("id").GetString() == tokenId);
    }

    private async Task<TestDevice> NewDeviceAsync(PortalUser owner, string name)
    {
        var id = (await e2e.Api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/workspaces/{owner.Workspace}/devices", owner.Token, new { name })).Str("id");
        var token = await e2e.Api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/devices/{id}/tokens", owner.Token, new { name = "device" });
        return new TestDevice(id, token.Str("id"), token.Str("token"));
    }
}
