using System.Net.Http.Json;
using System.Net;
using System.Text.Json;
using System.Text;
using Datacake.Streams.Api.Access;
using Datacake.Streams.Ids;

namespace Datacake.Streams.IntegrationTests.Api.Queries;

/// <summary>The JSON datasource protocol with the bodies Grafana sends, over real HTTP.</summary>
public sealed class GrafanaApiTests
{
    private static readonly ReadableDevice s_boiler = new(DeviceId.New(), "Boiler", "ws_a", "A");
    private static readonly ReadableDevice s_foreign = new(DeviceId.New(), "Foreign", "ws_b", "B");

    [Fact]
    public async Task Test_search_and_tags_list_only_what_the_token_reads()
    {
        await using QueryApiHost host = await StartAsync();
        await host.WriteAsync("raw", [
            (s_boiler.Id, DateTimeOffset.UtcNow.AddMinutes(-5), [("temperature", 60.0), ("pressure", 1.2)]),
            (s_foreign.Id, DateTimeOffset.UtcNow.AddMinutes(-5), [("classified", 1.0)]),
        ]);
        using HttpClient grafana = host.Client("grafana-a");

        Assert.Equal(HttpStatusCode.OK, (await grafana.GetAsync("/grafana")).StatusCode);
        using HttpClient stranger = host.Client("nope");
        Assert.Equal(HttpStatusCode.Unauthorized, (await stranger.GetAsync("/grafana")).StatusCode);

        JsonElement search = await PostAsync(grafana, "/grafana/search", """{"target":""}""");
        Assert.Equal(
            [($"Boiler:pressure", $"{s_boiler.Id}:pressure"), ($"Boiler:temperature", $"{s_boiler.Id}:temperature")],
            search.EnumerateArray().Select(m => (m.GetProperty("text").GetString()!, m.GetProperty("value").GetString()!)));
        JsonElement filtered = await PostAsync(grafana, "/grafana/search", """{"target":"temp"}""");
        Assert.Equal(1, filtered.GetArrayLength());

        JsonElement keys = await PostAsync(grafana, "/grafana/tag-keys", "{}");
        Assert.Equal("device", keys[0].GetProperty("text").GetString());
        JsonElement values = await PostAsync(grafana, "/grafana/tag-values", """{"key":"device"}""");
        Assert.Equal(["Boiler"], values.EnumerateArray().Select(v => v.GetProperty("text").GetString()));
    }

    [Fact]
    public async Task Query_with_a_one_hour_interval_is_answered_from_h1_and_tables_work()
    {
        await using QueryApiHost host = await StartAsync();
        DateTimeOffset hour = QueryApiTests.WindowStart(TimeSpan.FromHours(3), TimeSpan.FromHours(1));

        // Raw says 1 for the same hours; h1 says 42: the answer tells which tier was read. The refresh first: h1
        // answers the hours below its watermark (written straight to InfluxDB, the raw point has no late mark).
        await host.RefreshAsync();
        await host.WriteAsync("h1", [
            (s_boiler.Id, hour, [("mean_temperature", 42), ("min_temperature", 40), ("max_temperature", 44), ("count_temperature", 60)]),
            (s_boiler.Id, hour.AddHours(1), [("mean_temperature", 43), ("min_temperature", 41), ("max_temperature", 45), ("count_temperature", 60)]),
        ]);
        await host.WriteAsync("raw", [(s_boiler.Id, hour.AddMinutes(5), [("temperature", 1.0)])]);
        using HttpClient grafana = host.Client("grafana-a");

        // As Grafana sends it (trimmed): range, interval, maxDataPoints, targets.
        string body = $$"""
        {
          "app": "dashboard", "requestId": "Q100", "timezone": "browser", "panelId": 2,
          "range": { "from": "{{hour.AddMinutes(-30):O}}", "to": "{{hour.AddHours(2):O}}", "raw": { "from": "now-6h", "to": "now" } },
          "interval": "1h", "intervalMs": 3600000, "maxDataPoints": 1000,
          "targets": [
            { "refId": "A", "target": "Boiler:temperature", "type": "timeserie", "data": null },
            { "refId": "B", "target": "{{s_boiler.Id}}:temperature", "type": "table", "data": { "agg": "max" } }
          ],
          "adhocFilters": [], "scopedVars": {}
        }
        """;
        JsonElement answer = await PostAsync(grafana, "/grafana/query", body);
        Assert.Equal(2, answer.GetArrayLength());
        JsonElement series = answer[0];
        Assert.Equal("Boiler:temperature", series.GetProperty("target").GetString());
        Assert.Equal(
            [(42.0, hour.ToUnixTimeMilliseconds()), (43.0, hour.AddHours(1).ToUnixTimeMilliseconds())],
            series.GetProperty("datapoints").EnumerateArray().Select(p => (p[0].GetDouble(), p[1].GetInt64())));

        JsonElement table = answer[1];
        Assert.Equal("table", table.GetProperty("type").GetString());
        Assert.Equal(["Time", "Device", "temperature"], table.GetProperty("columns").EnumerateArray().Select(c => c.GetProperty("text").GetString()));
        Assert.Equal([44.0, 45.0], table.GetProperty("rows").EnumerateArray().Select(r => r[2].GetDouble()));
        Assert.Equal("Boiler", table.GetProperty("rows")[0][1].GetString());

        // The same panel zoomed in (10 s interval) reads raw.
        string zoomed = body.Replace("3600000", "10000", StringComparison.Ordinal).Replace("\"maxDataPoints\": 1000", "\"maxDataPoints\": 10000", StringComparison.Ordinal);
        JsonElement fine = await PostAsync(grafana, "/grafana/query", zoomed);
        Assert.Equal([1.0], fine[0].GetProperty("datapoints").EnumerateArray().Select(p => p[0].GetDouble()));
    }

    [Fact]
    public async Task A_target_of_another_workspace_is_refused_like_an_unknown_one()
    {
        await using QueryApiHost host = await StartAsync();
        await host.WriteAsync("raw", [(s_foreign.Id, DateTimeOffset.UtcNow.AddMinutes(-5), [("classified", 77.0)])]);
        using HttpClient grafana = host.Client("grafana-a");
        string Body(string target) => $$"""{"range":{"from":"{{DateTimeOffset.UtcNow.AddHours(-1):O}}","to":"{{DateTimeOffset.UtcNow:O}}"},"intervalMs":10000,"maxDataPoints":500,"targets":[{"refId":"A","target":"{{target}}"}]}""";

        foreach (string target in new[] { $"{s_foreign.Id}:classified", "Foreign:classified", $"{DeviceId.New()}:classified" })
        {
            using var content = new StringContent(Body(target), Encoding.UTF8, "application/json");
            using HttpResponseMessage response = await grafana.PostAsync("/grafana/query", content);
            string text = await response.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            // The answer echoes the target the caller sent (a random device id may hold "77"); nothing else may.
            Assert.DoesNotContain("77", text.Replace(target, string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);
            Assert.Contains("is not a readable <device>:<field>", text);
        }
    }

    private static async Task<QueryApiHost> StartAsync()
    {
        QueryApiHost host = await QueryApiHost.StartAsync();
        host.Access.Grant("grafana-a", s_boiler);
        host.Access.Grant("grafana-b", s_foreign);
        return host;
    }

    private static async Task<JsonElement> PostAsync(HttpClient client, string path, string json)
    {
        using var content = new StringContent(json, Encoding.UTF8, "application/json");
        using HttpResponseMessage response = await client.PostAsync(path, content);
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }
}
