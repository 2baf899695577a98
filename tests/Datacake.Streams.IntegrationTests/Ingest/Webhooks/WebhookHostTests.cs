using System.Net;
using System.Text.Json;
using System.Text;
using Datacake.Streams.Access;
using Datacake.Streams.Ingest.Webhooks;
using Datacake.Streams.IntegrationTests.Host.Hosting;
using Datacake.Streams.Problems;

namespace Datacake.Streams.IntegrationTests.Ingest.Webhooks;

/// <summary>The real executable maps webhook ingest for the ingest role, with its options checked at start-up.</summary>
public class WebhookHostTests
{
    [Fact]
    public async Task The_host_answers_webhook_posts_and_refuses_an_unknown_webhook_with_a_problem()
    {
        await using var host = await HostProcess.StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/webhooks/wh_unknown")
        {
            Content = new StringContent("{\"uplink_message\":{}}", Encoding.UTF8, "application/json"),
        };
        request.Headers.Add(WebhookIngestHandler.TokenHeader, AccessToken.New().Secret);

        using var response = await host.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(ProblemTypes.WebhookUnauthorized, problem.RootElement.GetProperty("type").GetString());
    }

    [Fact]
    public async Task Invalid_webhook_options_stop_the_host_at_start_up()
    {
        await using var host = await HostProcess.StartAsync(
            new Dictionary<string, string> { ["Ingest__Webhooks__MaxBodyBytes"] = "10" },
            waitUntilHealthy: false);
        var exitCode = await host.WaitForExitAsync(TimeSpan.FromSeconds(60));
        Assert.NotEqual(0, exitCode);
        Assert.Contains("MaxBodyBytes", host.Output, StringComparison.Ordinal);
    }
}
