using System.Net;
using System.Text.Json;

namespace Datacake.Streams.IntegrationTests.Hosting;

public class HostTests
{
    [Fact]
    public async Task Healthz_answers_once_the_host_listens()
    {
        await using var host = await HostProcess.StartAsync();
        using var response = await host.Http.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("healthy", body.RootElement.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Plain_http_on_a_non_loopback_address_is_refused_at_start_up()
    {
        await using var host = await HostProcess.StartAsync(
            new Dictionary<string, string> { ["Streams__HttpUrl"] = "http://0.0.0.0:18080" },
            waitUntilHealthy: false);
        var exitCode = await host.WaitForExitAsync(TimeSpan.FromSeconds(60));
        Assert.NotEqual(0, exitCode);
        Assert.Contains("plain HTTP only on loopback", host.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_role_is_refused_at_start_up()
    {
        await using var host = await HostProcess.StartAsync(
            new Dictionary<string, string> { ["DCS_ROLES"] = "ingest,bogus" },
            waitUntilHealthy: false);
        var exitCode = await host.WaitForExitAsync(TimeSpan.FromSeconds(60));
        Assert.NotEqual(0, exitCode);
        Assert.Contains("unknown role 'bogus'", host.Output, StringComparison.Ordinal);
    }
}
