using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Datacake.Streams.IntegrationTests.Backups;
using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;

namespace Datacake.Streams.IntegrationTests.Host.Portal;

/// <summary>
/// Debian's chromium driven by Playwright for .NET (headless, no sandbox: the tests run as root), one browser for a
/// test class, a fresh context (its own sessionStorage) per person. Playwright cannot download browsers here, so it
/// is started with the executable path; a missing chromium fails the test with what to install, never skips it.
/// </summary>
public sealed class PortalBrowser : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";

    /// <summary>A loaded 2-core machine: the devices table polls every 5 s and ingest reaches influxd within seconds.</summary>
    public static readonly float Timeout = 45_000;

    private static readonly ConditionalWeakTable<IPage, ConcurrentQueue<string>> _scriptErrors = [];

    private IPlaywright _playwright = null!;

    public IBrowser Browser { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Assert.True(File.Exists(ChromiumPath), $"{ChromiumPath} is missing: run ops/services.sh up (it installs Debian's chromium) or apt-get install -y chromium");
        Assertions.SetDefaultExpectTimeout(Timeout);
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox"],
        });
    }

    public async Task DisposeAsync()
    {
        await Browser.DisposeAsync();
        _playwright.Dispose();
    }

    /// <summary>A new person's tab on the host, at the desktop size unless a phone's is given.</summary>
    public async Task<IPage> NewPageAsync(string baseUrl, int width = 1280, int height = 800)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = baseUrl,
            ViewportSize = new ViewportSize { Width = width, Height = height },
        });
        context.SetDefaultTimeout(Timeout);
        var page = await context.NewPageAsync();

        // Uncaught exceptions and what the Content-Security-Policy refused (an inline script or style, another
        // origin) fail the test at its end: both break a page quietly. API refusals the page shows are not errors.
        var errors = _scriptErrors.GetOrCreateValue(page);
        page.PageError += (_, error) => errors.Enqueue(error);
        page.Console += (_, message) =>
        {
            if (message.Type == "error" && message.Text.Contains("Content Security Policy", StringComparison.Ordinal))
            {
                errors.Enqueue(message.Text);
            }
        };
        return page;
    }

    /// <summary>Fails if the page threw or the CSP refused anything since it was opened.</summary>
    public static void AssertNoScriptErrors(IPage page) =>
        Assert.True(_scriptErrors.GetOrCreateValue(page).IsEmpty, $"script errors: {string.Join("\n", _scriptErrors.GetOrCreateValue(page))}");

    /// <summary>Signs in through the form (the way a person does) and waits for the page the token leads to.</summary>
    public static async Task SignInAsync(IPage page, string token)
    {
        await page.GotoAsync("/");
        await page.GetByLabel("Token").FillAsync(token);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Sign out" })).ToBeVisibleAsync();
    }

    /// <summary>axe-core on the page as it is: fails on any serious or critical violation, naming each.</summary>
    public static async Task AssertAccessibleAsync(IPage page, string name)
    {
        AxeResult result = await page.RunAxe();
        var bad = result.Violations
            .Where(v => v.Impact is "serious" or "critical")
            .Select(v => $"{v.Id} ({v.Impact}): {v.Help} at {string.Join(", ", v.Nodes.Take(3).Select(n => n.Target?.ToString()))}")
            .ToList();
        Assert.True(bad.Count == 0, $"axe on {name}: {string.Join("\n", bad)}");
    }

    /// <summary>
    /// A full-page screenshot under TestResults/portal; with <c>DCS_PORTAL_SCREENSHOTS=docs</c> into docs/portal
    /// (what the README shows), so an ordinary test run leaves the committed pictures alone.
    /// </summary>
    public static async Task ScreenshotAsync(IPage page, string name)
    {
        var folder = Environment.GetEnvironmentVariable("DCS_PORTAL_SCREENSHOTS") == "docs"
            ? Path.Combine(DcsCli.RepositoryRoot, "docs", "portal")
            : Path.Combine(DcsCli.RepositoryRoot, "TestResults", "portal");
        Directory.CreateDirectory(folder);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(folder, name + ".png"), FullPage = true });
    }

    /// <summary>The slowest of the page's Performance API measures named <paramref name="name"/> whose detail passes <paramref name="detail"/>.</summary>
    public static async Task<double> SlowestMeasureAsync(IPage page, string name, string detailKey, int atLeast)
    {
        var json = await page.EvaluateAsync<string>(
            "([name, key, min]) => JSON.stringify(performance.getEntriesByName(name).filter(e => (e.detail?.[key] ?? 0) >= min).map(e => e.duration))",
            new object[] { name, detailKey, atLeast });
        var durations = JsonSerializer.Deserialize<double[]>(json) ?? [];
        Assert.True(durations.Length > 0, $"no '{name}' measure with {detailKey} >= {atLeast.ToString(CultureInfo.InvariantCulture)}");
        return durations.Max();
    }
}
