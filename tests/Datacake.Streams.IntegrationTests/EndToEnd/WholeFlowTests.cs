using System.Net.Http.Headers;
using System.Net;
using System.Text;
using Datacake.Streams.Access;
using Datacake.Streams.IntegrationTests.Api.Access;
using Datacake.Streams.IntegrationTests.Host.Hosting;
using Datacake.Streams.IntegrationTests.Services;

namespace Datacake.Streams.IntegrationTests.EndToEnd;

/// <summary>
/// The whole system as one executable on its embedded default, with every role: identity API → registry → HTTP
/// ingest → FasterLog → processing → the real influxd → the query API, and the operator and tenant boundaries
/// across all of it.
/// </summary>
public sealed class WholeFlowTests : IAsyncLifetime
{
    private readonly string _operator = AccessToken.New().Secret;
    private readonly string _database = "e2e_" + Guid.NewGuid().ToString("N")[..12];
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
        await DropDatabaseAsync();
    }

    [Fact]
    public async Task A_measurement_sent_over_HTTP_is_queryable_by_its_owner_and_by_nobody_else()
    {
        var owner = await NewUserAsync("owner");
        var stranger = await NewUserAsync("stranger");
        var workspace = (await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/v1/me", owner)).Str("homeWorkspaceId");
        await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/v1/me", stranger);
        var device = (await _api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/workspaces/{workspace}/devices", owner, new { name = "Boiler room" })).Str("id");
        var deviceToken = (await _api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/devices/{device}/tokens", owner)).Str("token");

        // The device token reaches the ingest node through dcs.registry: retry until the registry view knows it.
        var time = DateTimeOffset.UtcNow.AddMinutes(-1);
        var body = "[{\"time\":\"" + time.ToString("O") + "\",\"values\":{\"temperature\":21.5,\"valve_open\":true}}]";
        var status = await Until.Async(
            async () => (await SendMeasurementAsync(device, deviceToken, body)).StatusCode,
            s => s == HttpStatusCode.Accepted,
            "the device token known to ingest (202)");
        Assert.Equal(HttpStatusCode.Accepted, status);

        var from = Uri.EscapeDataString(time.AddMinutes(-5).ToString("O"));
        var to = Uri.EscapeDataString(DateTimeOffset.UtcNow.AddMinutes(1).ToString("O"));
        var series = await Until.Async(
            () => _api.GetAsync($"/v1/devices/{device}/series?fields=temperature&from={from}&to={to}", owner),
            r => r.Status == HttpStatusCode.OK && r.Body.Contains("21.5", StringComparison.Ordinal),
            "the measurement in /series");
        Assert.Equal(HttpStatusCode.OK, series.Status);
        Assert.Equal("raw", series.Str("tier"));
        Assert.Contains("Boiler room", series.Body, StringComparison.Ordinal);

        // influxd makes a point's fields visible one by one (a read overlapping the write can see temperature
        // without valve_open): wait for the whole point rather than read it once.
        var last = await Until.Async(
            () => _api.GetAsync($"/v1/devices/{device}/last", owner),
            r => r.Status == HttpStatusCode.OK && r.Body.Contains("valve_open", StringComparison.Ordinal),
            "the whole point in /last");
        Assert.Equal(HttpStatusCode.OK, last.Status);
        Assert.True(last.Json.GetProperty("values").GetProperty("valve_open").GetProperty("value").GetBoolean());

        // Another user, and the operator, see nothing of it.
        var foreign = await _api.GetAsync($"/v1/devices/{device}/series?fields=temperature&from={from}&to={to}", stranger);
        Assert.Equal(HttpStatusCode.NotFound, foreign.Status);
        Assert.DoesNotContain("21.5", foreign.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("Boiler", foreign.Body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, (await _api.GetAsync($"/v1/devices/{device}/last", _operator)).Status);

        // Retention belongs to the operator alone.
        var retention = await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/v1/ops/retention", _operator);
        Assert.Contains("raw", retention.Body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, (await _api.GetAsync("/v1/ops/retention", owner)).Status);

        // Deleting the device (confirmed) hides its data from every read; restoring it within the window brings it back.
        var confirm = (await _api.ExpectAsync(HttpStatusCode.Conflict, HttpMethod.Delete, $"/v1/devices/{device}", owner)).Str("confirm");
        Assert.Equal(HttpStatusCode.OK, (await _api.GetAsync($"/v1/devices/{device}/last", owner)).Status);
        await _api.ExpectAsync(HttpStatusCode.NoContent, HttpMethod.Delete, $"/v1/devices/{device}", owner, new { confirm });
        var hidden = await _api.GetAsync($"/v1/devices/{device}/series?fields=temperature&from={from}&to={to}", owner);
        Assert.Equal(HttpStatusCode.NotFound, hidden.Status);
        Assert.DoesNotContain("21.5", hidden.Body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await _api.GetAsync($"/v1/devices/{device}/last", owner)).Status);
        await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Post, $"/v1/devices/{device}/restore", owner);
        var back = await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/v1/devices/{device}/series?fields=temperature&from={from}&to={to}", owner);
        Assert.Contains("21.5", back.Body, StringComparison.Ordinal);

        // InfluxDB holds the device id as the only tag of its own measurement: no name, no workspace.
        var stored = await InfluxQueryAsync($"SHOW TAG VALUES ON \"{_database}\" FROM \"{device}\" WITH KEY = \"device\"");
        Assert.Contains($"[\"device\",\"{device}\"]", stored, StringComparison.Ordinal);
        Assert.DoesNotContain("Boiler", stored, StringComparison.Ordinal);
        Assert.DoesNotContain(workspace, stored, StringComparison.Ordinal);
    }

    private async Task<string> NewUserAsync(string label) =>
        (await _api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, "/v1/users", _operator, new { email = $"{label}-{Guid.NewGuid():N}@example.test" })).Str("token");

    private async Task<HttpResponseMessage> SendMeasurementAsync(string device, string token, string body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/devices/{device}/measurements")
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await _host.Http.SendAsync(request);
    }

    private static HttpClient InfluxClient()
    {
        var endpoints = ServiceEndpoints.Current;
        var http = new HttpClient { BaseAddress = new Uri(endpoints.InfluxUrl) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(
            "Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{endpoints.InfluxUser}:{endpoints.InfluxPassword}")));
        return http;
    }

    private static async Task<string> InfluxQueryAsync(string query)
    {
        using var http = InfluxClient();
        return await http.GetStringAsync("/query?q=" + Uri.EscapeDataString(query));
    }

    private async Task DropDatabaseAsync()
    {
        using var http = InfluxClient();
        using var response = await http.PostAsync("/query?q=" + Uri.EscapeDataString($"DROP DATABASE \"{_database}\""), null);
        response.EnsureSuccessStatusCode();
    }
}
