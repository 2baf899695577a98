using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Datacake.Streams.IntegrationTests.EndToEnd;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Datacake.Streams.IntegrationTests.Host.Portal;

/// <summary>
/// The portal's speed, measured inside the browser with the Performance API (the page's own measures, docs/PORTAL.md):
/// first load on loopback, a 1,000-device table (every row with last values and a sparkline), a 10,000-point chart.
/// Numbers in docs/BENCHMARKS.md. Alone in its collection, with a host of its own, run after the parallel tests: the
/// numbers are the portal's, not the suite's (beside it, CI measured a first load of 1.27 s where alone it is ~0.5 s).
/// </summary>
[Collection(nameof(PortalSpeedTests))]
public sealed class PortalSpeedTests(EndToEndHost e2e, PortalBrowser browser, ITestOutputHelper output) : IClassFixture<PortalBrowser>
{
    private const int Devices = 1_000;
    private const int Points = 10_000;

    /// <summary>
    /// Devices with data (three hourly points: last values and a sparkline). Not all 1,000: with 1,000 devices holding
    /// data, POST /v1/query agg=last took 24 s to over 3 minutes here under a load average of 10-15 (the last values
    /// of devices without data cost nothing), which is a finding about the query, not the table.
    /// </summary>
    private const int WithData = 100;

    [Fact]
    public async Task First_load_is_under_a_second_a_1000_device_table_under_500_ms_and_a_10000_point_chart_under_200_ms()
    {
        var email = $"speed-{Guid.NewGuid():N}@example.test";
        var token = (await e2e.Api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, "/v1/users", e2e.OperatorToken, new { email })).Str("token");
        var workspace = (await e2e.Api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/v1/me", token)).Str("homeWorkspaceId");

        // 999 devices through the API (8 at a time), the first WithData with three hourly points (last values and a
        // sparkline), and one with 10,000 points in the last hour (the 1 h range reads raw).
        var writer = (await e2e.Api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/workspaces/{workspace}/tokens", token, new { name = "writer", role = "editor" })).Str("token");
        var now = DateTimeOffset.UtcNow;
        using (var gate = new SemaphoreSlim(8))
        {
            await Task.WhenAll(Enumerable.Range(0, Devices - 1).Select(async i =>
            {
                await gate.WaitAsync();
                try
                {
                    var id = (await e2e.Api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/workspaces/{workspace}/devices", token,
                        new { name = $"sensor {i:D4}", serial = $"SN-{i:D6}" })).Str("id");
                    var points = string.Join(',', Enumerable.Range(0, 3).Select(h => FormattableString.Invariant(
                        $"{{\"time\":\"{now.AddHours(-h).AddMinutes(-1):O}\",\"values\":{{\"temperature\":{20 + ((i + h) % 7)}}}}}")));
                    if (i >= WithData)
                    {
                        return;
                    }

                    // Ingest learns the new device (and so the workspace token's right to write it) through dcs.registry:
                    // until then the answer is 401, 403 or 404.
                    await Until.Async(
                        () => Senders.MeasurementAsync(e2e.Host.Http, new TestDevice(id, string.Empty, writer), $"[{points}]"),
                        a => a.Status == HttpStatusCode.Accepted,
                        "the workspace writer token accepted for a new device");
                }
                finally
                {
                    gate.Release();
                }
            }));
        }

        var dense = (await e2e.Api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/workspaces/{workspace}/devices", token, new { name = "dense" })).Str("id");
        var deviceToken = (await e2e.Api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/devices/{dense}/tokens", token)).Str("token");
        var device = new TestDevice(dense, string.Empty, deviceToken);
        var start = DateTimeOffset.UtcNow.AddMinutes(-55);
        for (var batch = 0; batch < Points; batch += 2_000)
        {
            var body = new StringBuilder("[");
            for (var i = batch; i < batch + 2_000; i++)
            {
                body.Append(i == batch ? "" : ",").Append("{\"time\":\"").Append(start.AddMilliseconds(i * 300).ToString("O", CultureInfo.InvariantCulture))
                    .Append("\",\"values\":{\"level\":").Append((Math.Sin(i / 300.0) * 50).ToString("F3", CultureInfo.InvariantCulture)).Append("}}");
            }

            // Closed once, outside the retried send: a retry (the token not yet known to ingest) sends the same body.
            var text = body.Append(']').ToString();
            await Senders.AcceptedAsync(() => Senders.MeasurementAsync(e2e.Host.Http, device, text), "the dense device's token");
        }

        var from = Uri.EscapeDataString(start.AddMinutes(-1).ToString("O", CultureInfo.InvariantCulture));
        await Until.Async(
            async () => (await e2e.Api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/v1/devices/{dense}/series?from={from}", token)).Json
                .GetProperty("series")[0].GetProperty("points").GetArrayLength(),
            n => n == Points, $"{Points} points stored");

        // First load: a new visitor (a fresh browser context, empty cache), from navigation to the sign-in form on
        // screen (the page's 'portal-first-view' mark). One page served before, in another context, so the number is
        // not the host's own first request after start (its JIT: TieredCompilation is off, Datacake.Streams.Host.csproj).
        var warmUp = await browser.NewPageAsync($"http://127.0.0.1:{e2e.Host.HttpPort}");
        await warmUp.GotoAsync("/");
        await Expect(warmUp.GetByLabel("Token")).ToBeVisibleAsync();
        await warmUp.Context.CloseAsync();
        var page = await browser.NewPageAsync($"http://127.0.0.1:{e2e.Host.HttpPort}");
        await page.GotoAsync("/");
        await Expect(page.GetByLabel("Token")).ToBeVisibleAsync();
        var firstLoad = await page.EvaluateAsync<double>("performance.getEntriesByName('portal-first-view', 'mark')[0].startTime");
        var loadEvent = await page.EvaluateAsync<double>("performance.getEntriesByType('navigation')[0].loadEventEnd");

        await PortalBrowser.SignInAsync(page, token);
        await Expect(page.Locator("table.devices tbody tr")).ToHaveCountAsync(Devices);
        // The last values of the devices with data can take long on a loaded machine (see WithData): the wait is longer
        // than the default; the render measured below is the browser's alone.
        var slowApi = new Microsoft.Playwright.LocatorAssertionsToBeVisibleOptions { Timeout = 180_000 };
        await Expect(page.GetByText("Last values read")).ToBeVisibleAsync(slowApi);
        await Expect(page.Locator($"tr[data-device='{dense}'] td.values")).ToContainTextAsync("level");
        await Expect(page.Locator("table.devices svg.spark")).ToHaveCountAsync(WithData + 1, new() { Timeout = 180_000 });
        var table = await PortalBrowser.SlowestMeasureAsync(page, "devices-table-render", "rows", Devices);

        await page.GotoAsync($"/#/d/{dense}");
        await Expect(page.Locator(".chart canvas")).ToBeVisibleAsync();
        await Expect(page.GetByText($"{Points} points from tier raw")).ToBeVisibleAsync();
        var chart = await PortalBrowser.SlowestMeasureAsync(page, "chart-render", "points", Points);

        PortalBrowser.AssertNoScriptErrors(page);
        output.WriteLine(FormattableString.Invariant($"first view {firstLoad:F0} ms (load event {loadEvent:F0} ms); {Devices}-device table {table:F1} ms; {Points}-point chart {chart:F1} ms"));
        Assert.True(firstLoad <= 1_000, FormattableString.Invariant($"first load took {firstLoad:F0} ms"));
        Assert.True(table <= 500, FormattableString.Invariant($"the {Devices}-device table took {table:F0} ms to render"));
        Assert.True(chart <= 200, FormattableString.Invariant($"the {Points}-point chart took {chart:F0} ms to render"));
    }
}

[CollectionDefinition(nameof(PortalSpeedTests), DisableParallelization = true)]
public sealed class PortalSpeedCollection : ICollectionFixture<EndToEndHost>;
