using System.Net.Http.Headers;
using System.Net;
using System.Text.Json;
using System.Text;
using Datacake.Streams.Access;
using Datacake.Streams.IntegrationTests.Api.Access;
using Datacake.Streams.IntegrationTests.Host.Hosting;
using Datacake.Streams.IntegrationTests.Services;

namespace Datacake.Streams.IntegrationTests.Api.Observability;

/// <summary>
/// <c>/metrics</c>, <c>/openapi/v1.json</c> and <c>/docs</c> of the real executable: what an operator's Prometheus,
/// an integrator's code generator and a person in a browser get.
/// </summary>
public sealed class ObservabilityTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    private readonly string _operator = AccessToken.New().Secret;
    private readonly string _database = "obs_" + Guid.NewGuid().ToString("N")[..12];
    private HostProcess _host = null!;
    private ApiClient _api = null!;

    public async Task InitializeAsync()
    {
        _host = await HostProcess.StartAsync(new Dictionary<string, string>
        {
            ["DCS_OPERATOR_TOKEN"] = _operator,
            ["DCS_INFLUX_DATABASE"] = _database,
        });
        _api = new ApiClient(_host.Http);
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        Directory.Delete(_host.DataDirectory, recursive: true);
        var endpoints = ServiceEndpoints.Current;
        using var influx = new HttpClient { BaseAddress = new Uri(endpoints.InfluxUrl) };
        influx.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(
            "Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{endpoints.InfluxUser}:{endpoints.InfluxPassword}")));
        using var drop = await influx.PostAsync("/query?q=" + Uri.EscapeDataString($"DROP DATABASE \"{_database}\""), null);
        drop.EnsureSuccessStatusCode();
    }

    [Fact]
    public async Task The_openapi_document_describes_the_public_contract_and_docs_render_it_without_the_internet()
    {
        using var document = JsonDocument.Parse(await _host.Http.GetStringAsync("/openapi/v1.json"));
        Assert.StartsWith("3.", document.RootElement.GetProperty("openapi").GetString(), StringComparison.Ordinal);
        var paths = document.RootElement.GetProperty("paths");
        foreach (var path in new[] { "/v1/devices/{id}/measurements", "/v1/workspaces/{id}/devices", "/v1/devices/{id}/series", "/v1/ops/retention" })
        {
            Assert.True(paths.TryGetProperty(path, out _), $"{path} is missing from /openapi/v1.json");
        }

        Assert.False(paths.TryGetProperty("/metrics", out _), "/metrics is not part of the API contract");

        using var docs = await _host.Http.GetAsync("/docs/");
        Assert.Equal(HttpStatusCode.OK, docs.StatusCode);
        var page = await docs.Content.ReadAsStringAsync();
        // The page resolves the document against the application's root: /docs/ → /openapi/v1.json.
        Assert.Contains("\"url\":\"openapi/v1.json\"", page, StringComparison.Ordinal);

        // The reference's script is served by the node itself: an air-gapped deployment still has its docs.
        using var script = await _host.Http.GetAsync("/docs/scalar.js");
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
        Assert.True((await script.Content.ReadAsByteArrayAsync()).Length > 100_000);
    }

    [Fact]
    public async Task Metrics_count_processed_records_and_name_no_device_token_or_workspace()
    {
        var owner = (await _api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, "/v1/users", _operator, new { email = $"metrics-{Guid.NewGuid():N}@example.test" })).Str("token");
        var workspace = (await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/v1/me", owner)).Str("homeWorkspaceId");
        var device = (await _api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/workspaces/{workspace}/devices", owner, new { name = "Cold store" })).Str("id");
        var deviceToken = (await _api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/devices/{device}/tokens", owner)).Str("token");

        var accepted = await UntilAsync(
            async () =>
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/devices/{device}/measurements")
                {
                    Content = new StringContent("{\"temperature\":4.5}", Encoding.UTF8, "application/json"),
                };
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", deviceToken);
                using var response = await _host.Http.SendAsync(request);
                return response.StatusCode == HttpStatusCode.Accepted;
            },
            ok => ok);
        Assert.True(accepted, "the device token never reached the ingest node");

        // The processing counters appear once the record went through the pipeline.
        var metrics = await UntilAsync(
            ScrapeAsync,
            text => MetricValue(text, "datacake_streams_processing_records_read") >= 1);
        Assert.True(MetricValue(metrics, "datacake_streams_processing_records_read") >= 1, "datacake_streams_processing_records_read never counted the record:\n" + metrics);
        Assert.Contains("process_cpu_seconds_total", metrics, StringComparison.Ordinal);
        Assert.Contains("datacake_streams_processing_points_written", metrics, StringComparison.Ordinal);

        // ASP.NET Core's request histogram counts requests that start after the first scrape began listening: it
        // shows from the third scrape on; requests before a scraper first asked are not counted.
        metrics = await UntilAsync(
            ScrapeAsync,
            text => text.Contains("microsoft_aspnetcore_hosting_http_server_request_duration", StringComparison.Ordinal));
        Assert.Contains("microsoft_aspnetcore_hosting_http_server_request_duration", metrics, StringComparison.Ordinal);

        foreach (var secretOrName in new[] { deviceToken, owner, _operator, device, workspace, "Cold store" })
        {
            Assert.DoesNotContain(secretOrName, metrics, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Metrics_show_how_far_each_rollup_tier_is_behind_the_clock()
    {
        // The api role refreshes at start: m1 keeping pace is behind by the settle time (90 s) plus the minute being
        // filled, and each tier has taken the marks up to 60 s ago.
        // Each tier refreshes on its own schedule, so each gauge appears when its tier's first refresh ends: wait for all
        // four (CI once scraped h1's marks gauge before m1's).
        var metrics = await UntilAsync(
            ScrapeAsync,
            text => new[] { "m1", "h1" }.All(tier => RollupLag(text, "watermark_lag", tier) is not null && RollupLag(text, "marks_lag", tier) is not null));
        var m1 = RollupLag(metrics, "watermark_lag", "m1");
        Assert.True(m1 is >= 90 and <= 300, $"m1 watermark lag {m1}:\n{metrics}");
        var h1 = RollupLag(metrics, "watermark_lag", "h1");
        Assert.True(h1 is >= 90 and <= 3600 + 300, $"h1 watermark lag {h1}");
        foreach (var tier in new[] { "m1", "h1" })
        {
            var marks = RollupLag(metrics, "marks_lag", tier);
            Assert.True(marks is >= 60 and <= 300, $"{tier} marks lag {marks}");
        }
    }

    private static double? RollupLag(string text, string gauge, string tier)
    {
        var prefix = "datacake_streams_rollups_" + gauge;
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith(prefix, StringComparison.Ordinal) && line.Contains($"tier=\"{tier}\"", StringComparison.Ordinal)
                && double.TryParse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture, out var value))
            {
                return value;
            }
        }

        return null;
    }

    /// <summary>What Prometheus gets with the operator token as its credentials file.</summary>
    private async Task<string> ScrapeAsync()
    {
        using var response = await _host.GetAsOperatorAsync("/metrics");
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>Sum of a counter's samples over all label sets, or -1 when it is not exported yet.</summary>
    private static double MetricValue(string text, string name)
    {
        var sum = -1.0;
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith(name, StringComparison.Ordinal) && line.Length > name.Length && (line[name.Length] == ' ' || line[name.Length] == '{' || line[name.Length] == '_'))
            {
                var value = line[(line.LastIndexOf(' ') + 1)..];
                if (!line[name.Length..].StartsWith("_created", StringComparison.Ordinal) && double.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, out var number))
                {
                    sum = Math.Max(sum, 0) + number;
                }
            }
        }

        return sum;
    }

    private static async Task<T> UntilAsync<T>(Func<Task<T>> attempt, Func<T, bool> done)
    {
        var deadline = DateTime.UtcNow + Deadline;
        while (true)
        {
            var result = await attempt();
            if (done(result) || DateTime.UtcNow > deadline)
            {
                return result;
            }

            await Task.Delay(50);
        }
    }
}
