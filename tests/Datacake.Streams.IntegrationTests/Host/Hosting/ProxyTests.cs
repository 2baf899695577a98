using System.Net;
using System.Net.Http.Headers;

namespace Datacake.Streams.IntegrationTests.Host.Hosting;

/// <summary>
/// Behind a reverse proxy, through the real executable: /metrics is the operator's or a configured network's (loopback
/// is nobody special), and X-Forwarded-For counts only from a configured proxy, as the failed-authentication budget
/// keyed by address shows.
/// </summary>
public sealed class ProxyTests
{
    private const string WrongToken = "dcs_not-the-operator-token-0123456789";

    [Fact]
    public async Task Metrics_are_refused_from_loopback_without_a_token_and_served_to_the_operator()
    {
        await using var host = await HostProcess.StartAsync();

        using var anonymous = await host.Http.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.DoesNotContain("process_cpu_seconds_total", await anonymous.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var scraped = await host.GetAsOperatorAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, scraped.StatusCode);
        Assert.Contains("process_cpu_seconds_total", await scraped.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Forwarded_for_from_a_configured_proxy_is_the_client_address_for_budgets_and_metrics_networks()
    {
        await using var host = await HostProcess.StartAsync(new Dictionary<string, string>
        {
            ["Proxies__KnownProxies__0"] = "127.0.0.1",
            ["Observability__MetricsNetworks__0"] = "198.51.100.0/24",
            ["Access__FailedAuthenticationBurst"] = "2",
        });

        // One client spends its budget; another client behind the same proxy keeps its own.
        Assert.Equal(HttpStatusCode.Unauthorized, await ScrapeAsync(host, "203.0.113.1", WrongToken));
        Assert.Equal(HttpStatusCode.Unauthorized, await ScrapeAsync(host, "203.0.113.1", WrongToken));
        Assert.Equal(HttpStatusCode.TooManyRequests, await ScrapeAsync(host, "203.0.113.1", WrongToken));
        Assert.Equal(HttpStatusCode.Unauthorized, await ScrapeAsync(host, "203.0.113.2", WrongToken));

        // The scraper's network is the forwarded client's, not the proxy's loopback.
        Assert.Equal(HttpStatusCode.OK, await ScrapeAsync(host, "198.51.100.7", null));
        Assert.Equal(HttpStatusCode.Unauthorized, await ScrapeAsync(host, "203.0.113.9", null));
        Assert.Equal(HttpStatusCode.Unauthorized, await ScrapeAsync(host, null, null));
    }

    [Fact]
    public async Task Forwarded_for_from_a_source_that_is_no_configured_proxy_is_ignored()
    {
        await using var host = await HostProcess.StartAsync(new Dictionary<string, string>
        {
            ["Proxies__KnownProxies__0"] = "192.0.2.1",
            ["Observability__MetricsNetworks__0"] = "198.51.100.0/24",
            ["Access__FailedAuthenticationBurst"] = "2",
        });

        Assert.Equal(HttpStatusCode.Unauthorized, await ScrapeAsync(host, "203.0.113.1", WrongToken));
        Assert.Equal(HttpStatusCode.Unauthorized, await ScrapeAsync(host, "203.0.113.2", WrongToken));

        // Both requests were charged to 127.0.0.1: a fresh forwarded address buys no new guesses.
        Assert.Equal(HttpStatusCode.TooManyRequests, await ScrapeAsync(host, "203.0.113.3", WrongToken));

        // Nor does claiming to come from the metrics network.
        Assert.Equal(HttpStatusCode.Unauthorized, await ScrapeAsync(host, "198.51.100.7", null));
    }

    [Theory]
    [InlineData("Proxies__KnownNetworks__0", "10.0.0.0")]
    [InlineData("Proxies__KnownProxies__0", "proxy.example")]
    [InlineData("Observability__MetricsNetworks__0", "localhost")]
    public async Task A_malformed_proxy_or_metrics_network_is_refused_at_start(string key, string value)
    {
        await using var host = await HostProcess.StartAsync(new Dictionary<string, string> { [key] = value }, waitUntilHealthy: false);
        Assert.NotEqual(0, await host.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains(key.Replace("__0", string.Empty, StringComparison.Ordinal).Replace("__", ":", StringComparison.Ordinal), host.Output, StringComparison.Ordinal);
    }

    private static async Task<HttpStatusCode> ScrapeAsync(HostProcess host, string? forwardedFor, string? token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/metrics", UriKind.Relative));
        if (forwardedFor is not null)
        {
            request.Headers.Add("X-Forwarded-For", forwardedFor);
        }

        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        using var response = await host.Http.SendAsync(request);
        return response.StatusCode;
    }
}
