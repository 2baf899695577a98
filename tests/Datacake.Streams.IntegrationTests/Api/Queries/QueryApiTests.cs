using System.Net.Http.Json;
using System.Net;
using System.Text.Json;
using Datacake.Streams.Api.Access;
using Datacake.Streams.Api.Queries;
using Datacake.Streams.Api.Retention;
using Datacake.Streams.Ids;
using Datacake.Streams.Problems;

namespace Datacake.Streams.IntegrationTests.Api.Queries;

/// <summary>Series, last values and many-device queries against points written to the real influxd.</summary>
public sealed class QueryApiTests
{
    private const string TokenA = "token-workspace-a";
    private const string TokenB = "token-workspace-b";

    private static readonly ReadableDevice s_deviceA = new(DeviceId.New(), "Boiler room", "ws_a", "Workspace A");
    private static readonly ReadableDevice s_deviceA2 = new(DeviceId.New(), "Roof", "ws_a", "Workspace A");
    private static readonly ReadableDevice s_deviceB = new(DeviceId.New(), "Secret lab", "ws_b", "Workspace B");

    [Fact]
    public async Task Each_aggregate_over_raw_windows_matches_values_computed_here()
    {
        await using QueryApiHost host = await StartAsync();
        DateTimeOffset start = WindowStart(TimeSpan.FromMinutes(30), TimeSpan.FromSeconds(30));
        double[] values = Enumerable.Range(0, 60).Select(i => Math.Round((i * 1.5) + ((i % 7) * 0.25) - 10, 3)).ToArray();
        await host.WriteAsync("raw", values.Select((v, i) => (s_deviceA.Id, start.AddSeconds(i * 10), new[] { ("temperature", v) })));

        using HttpClient client = host.Client(TokenA);
        foreach (string agg in new[] { "mean", "min", "max", "sum", "count", "first", "last", "median" })
        {
            SeriesAnswer answer = await GetSeriesAsync(client, s_deviceA.Id, $"fields=temperature&from={Ms(start)}&to={Ms(start.AddMinutes(10))}&every=30s&agg={agg}");
            Assert.Equal("raw", answer.Tier);
            Assert.False(answer.Stitched);
            DeviceSeries series = Assert.Single(answer.Series);
            Assert.Equal(s_deviceA.Id.ToString(), series.Device!.Id);
            Assert.Equal("Boiler room", series.Device.Name);
            Assert.Equal(20, series.Points.Count);
            for (int w = 0; w < 20; w++)
            {
                double[] window = values.Skip(w * 3).Take(3).ToArray();
                double expected = agg switch
                {
                    "mean" => window.Average(),
                    "min" => window.Min(),
                    "max" => window.Max(),
                    "sum" => window.Sum(),
                    "count" => window.Length,
                    "first" => window[0],
                    "last" => window[^1],
                    _ => window.Order().ElementAt(1),
                };
                Assert.Equal(start.AddSeconds(w * 30), series.Points[w].Time);
                Assert.Equal(expected, series.Points[w].Values["temperature"].GetDouble(), 9);
            }
        }
    }

    [Fact]
    public async Task Each_fill_mode_answers_empty_windows_as_asked()
    {
        await using QueryApiHost host = await StartAsync();
        DateTimeOffset start = WindowStart(TimeSpan.FromMinutes(20), TimeSpan.FromSeconds(10));

        // Windows 0, 1, 4 have a point; 2 and 3 are empty.
        await host.WriteAsync("raw", new[] { (0, 10.0), (1, 20.0), (4, 50.0) }.Select(p => (s_deviceA.Id, start.AddSeconds((p.Item1 * 10) + 1), new[] { ("t", p.Item2) })));
        using HttpClient client = host.Client(TokenA);
        string range = $"fields=t&from={Ms(start)}&to={Ms(start.AddSeconds(50))}&every=10s&agg=mean";

        static double?[] Read(SeriesAnswer a) => a.Series[0].Points.Select(p => p.Values["t"].ValueKind == JsonValueKind.Null ? (double?)null : p.Values["t"].GetDouble()).ToArray();
        Assert.Equal([10, 20, 50], Read(await GetSeriesAsync(client, s_deviceA.Id, range + "&fill=none")));
        Assert.Equal([10, 20, null, null, 50], Read(await GetSeriesAsync(client, s_deviceA.Id, range + "&fill=null")));
        Assert.Equal([10, 20, 20, 20, 50], Read(await GetSeriesAsync(client, s_deviceA.Id, range + "&fill=previous")));
        Assert.Equal([10, 20, 30, 40, 50], Read(await GetSeriesAsync(client, s_deviceA.Id, range + "&fill=linear")));
    }

    [Fact]
    public async Task Raw_points_without_every_and_last_values_with_their_own_times()
    {
        await using QueryApiHost host = await StartAsync();
        DateTimeOffset t0 = DateTimeOffset.UtcNow.AddMinutes(-30);
        await host.WriteAsync("raw", [
            (s_deviceA.Id, t0, [("t", 1.5), ("h", 40)]),
            (s_deviceA.Id, t0.AddMinutes(1), [("t", 2.5)]),
            (s_deviceB.Id, t0.AddMinutes(2), [("t", 99), ("secret", 7)]),
        ]);

        using HttpClient client = host.Client(TokenA);
        SeriesAnswer raw = await GetSeriesAsync(client, s_deviceA.Id, string.Empty);
        DeviceSeries series = Assert.Single(raw.Series);
        Assert.Equal(["h", "t"], series.Fields);
        Assert.Equal([1.5, 2.5], series.Points.Select(p => p.Values["t"].GetDouble()));
        Assert.Equal(Truncate(t0), series.Points[0].Time);

        LastAnswer last = (await client.GetFromJsonAsync<LastAnswer>($"/v1/devices/{s_deviceA.Id}/last"))!;
        Assert.Equal("Boiler room", last.Device.Name);
        Assert.Equal(["h", "t"], last.Values.Keys.Order());
        Assert.Equal(2.5, last.Values["t"].Value.GetDouble());
        Assert.Equal(Truncate(t0.AddMinutes(1)), last.Values["t"].Time);
        Assert.Equal(40, last.Values["h"].Value.GetDouble());
        Assert.Equal(Truncate(t0), last.Values["h"].Time);
    }

    [Fact]
    public async Task Query_of_many_devices_per_device_combined_and_last()
    {
        await using QueryApiHost host = await StartAsync();
        DateTimeOffset start = WindowStart(TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(1));
        await host.WriteAsync("raw", [
            (s_deviceA.Id, start.AddSeconds(5), [("t", 10.0)]),
            (s_deviceA.Id, start.AddSeconds(15), [("t", 20.0)]),
            (s_deviceA2.Id, start.AddSeconds(25), [("t", 60.0)]),
        ]);
        using HttpClient client = host.Client(TokenA);
        var body = new { devices = new[] { s_deviceA.Id.ToString(), s_deviceA2.Id.ToString() }, fields = new[] { "t" }, from = start.ToString("O"), to = start.AddSeconds(30).ToString("O"), every = "30s", agg = "mean" };

        SeriesAnswer perDevice = await PostAsync<SeriesAnswer>(client, body);
        Assert.Equal([s_deviceA.Id.ToString(), s_deviceA2.Id.ToString()], perDevice.Series.Select(s => s.Device!.Id));
        Assert.Equal(["Boiler room", "Roof"], perDevice.Series.Select(s => s.Device!.Name));
        Assert.Equal(15, perDevice.Series[0].Points.Single().Values["t"].GetDouble());
        Assert.Equal(60, perDevice.Series[1].Points.Single().Values["t"].GetDouble());

        SeriesAnswer combined = await PostAsync<SeriesAnswer>(client, new { body.devices, body.fields, body.from, body.to, body.every, body.agg, groupByDevice = false });
        Assert.Null(Assert.Single(combined.Series).Device);
        Assert.Equal(30, combined.Series[0].Points.Single().Values["t"].GetDouble());

        LastAnswer[] last = await PostAsync<LastAnswer[]>(client, new { body.devices, agg = "last" });
        Assert.Equal([20.0, 60.0], last.Select(l => l.Values["t"].Value.GetDouble()));
    }

    [Fact]
    public async Task Rollup_aggregates_are_weighted_by_count()
    {
        await using QueryApiHost host = await StartAsync();
        DateTimeOffset start = WindowStart(TimeSpan.FromHours(3), TimeSpan.FromMinutes(5));

        // Two m1 windows of one 5-minute window: 1 point of mean 10, 3 points of mean 20.
        await host.WriteAsync("m1", [
            (s_deviceA.Id, start, [("mean_t", 10), ("min_t", 10), ("max_t", 10), ("count_t", 1)]),
            (s_deviceA.Id, start.AddMinutes(1), [("mean_t", 20), ("min_t", 15), ("max_t", 25), ("count_t", 3)]),
        ]);

        // The rollup answers only windows below its watermark (else raw does): a refresh puts these there (it finds
        // no raw points for them, so it leaves the rollup points written above as they are).
        await host.RefreshAsync();
        using HttpClient client = host.Client(TokenA);
        var expected = new Dictionary<string, double> { ["mean"] = 17.5, ["sum"] = 70, ["count"] = 4, ["min"] = 10, ["max"] = 25 };
        foreach ((string agg, double value) in expected)
        {
            SeriesAnswer answer = await GetSeriesAsync(client, s_deviceA.Id, $"fields=t&from={Ms(start)}&to={Ms(start.AddMinutes(5))}&every=5m&agg={agg}");
            Assert.Equal("m1", answer.Tier);
            Assert.Equal(value, answer.Series[0].Points.Single().Values["t"].GetDouble(), 9);
        }
    }

    [Fact]
    public async Task A_range_beyond_raw_retention_is_stitched_from_m1_and_raw()
    {
        await using QueryApiHost host = await StartAsync(new Dictionary<string, string?>
        {
            ["Retention:Raw"] = "01:00:00",
            ["Retention:M1:LookBack"] = "00:30:00",
            ["Retention:H1:LookBack"] = "01:00:00",
        });
        DateTimeOffset now = DateTimeOffset.UtcNow;
        DateTimeOffset old = WindowStart(TimeSpan.FromMinutes(150), TimeSpan.FromMinutes(1));
        await host.WriteAsync("m1", [(s_deviceA.Id, old, [("mean_t", 7), ("min_t", 7), ("max_t", 7), ("count_t", 1)])]);
        await host.WriteAsync("raw", [(s_deviceA.Id, now.AddMinutes(-10), [("t", 3.0)])]);

        using HttpClient client = host.Client(TokenA);
        SeriesAnswer answer = await GetSeriesAsync(client, s_deviceA.Id, $"fields=t&from={Ms(now.AddHours(-3))}&to={Ms(now)}&every=10s");
        Assert.True(answer.Stitched);
        Assert.Equal("raw", answer.Tier);
        Assert.Equal(["m1", "raw"], answer.Segments.Select(s => s.Tier));
        Assert.Equal("1m", answer.Segments[0].Every);
        Assert.Equal([7.0, 3.0], answer.Series[0].Points.Select(p => p.Values["t"].GetDouble()));
    }

    [Fact]
    public async Task Another_workspace_device_is_404_exactly_like_an_unknown_one_and_leaks_nothing()
    {
        await using QueryApiHost host = await StartAsync();
        await host.WriteAsync("raw", [(s_deviceB.Id, DateTimeOffset.UtcNow.AddMinutes(-5), [("secret", 42.0)])]);
        using HttpClient client = host.Client(TokenA);

        string[] paths =
        [
            $"/v1/devices/{s_deviceB.Id}/series?fields=secret", $"/v1/devices/{s_deviceB.Id}/last", $"/v1/devices/{DeviceId.New()}/series",
            "/v1/devices/not-a-device/last", $"/v1/devices/{s_deviceB.Id}/series?every=1m&agg=max",
        ];
        var bodies = new List<string>();
        foreach (string path in paths)
        {
            using HttpResponseMessage response = await client.GetAsync(path);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            string body = await response.Content.ReadAsStringAsync();
            // Random ids (trace id, device ids of the request) may hold "42"; nothing else in the answer may.
            Assert.DoesNotContain("42", StripTraceId(body).Replace(s_deviceB.Id.ToString(), string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);
            Assert.DoesNotContain("Secret", body);
            bodies.Add(StripTraceId(body));
        }

        Assert.Single(bodies.Distinct());
        Assert.Contains(ProblemTypes.DeviceNotFound, bodies[0]);

        using HttpResponseMessage mixed = await client.PostAsJsonAsync("/v1/query", new { devices = new[] { s_deviceA.Id.ToString(), s_deviceB.Id.ToString() }, agg = "last" });
        Assert.Equal(HttpStatusCode.NotFound, mixed.StatusCode);
        Assert.Equal(bodies[0], StripTraceId(await mixed.Content.ReadAsStringAsync()));

        // The wildcard over device A never lists B's field names.
        await host.WriteAsync("raw", [(s_deviceA.Id, DateTimeOffset.UtcNow.AddMinutes(-5), [("t", 1.0)])]);
        SeriesAnswer own = await GetSeriesAsync(client, s_deviceA.Id, "every=30s&agg=mean");
        Assert.Equal(["t"], own.Series[0].Fields);
        Assert.Equal(["t"], (await client.GetFromJsonAsync<LastAnswer>($"/v1/devices/{s_deviceA.Id}/last"))!.Values.Keys);

        using HttpClient anonymous = host.Client(null);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync($"/v1/devices/{s_deviceA.Id}/last")).StatusCode);
        using HttpClient op = host.Client(QueryApiHost.OperatorToken);
        Assert.Equal(HttpStatusCode.Forbidden, (await op.GetAsync($"/v1/devices/{s_deviceA.Id}/last")).StatusCode);
    }

    [Theory]
    [InlineData("agg=avg", "agg")]
    [InlineData("every=0s", "every")]
    [InlineData("every=1s&from=2026-01-01T00:00:00Z&to=2026-01-08T00:00:00Z", "every")]
    [InlineData("from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z", "from")]
    [InlineData("from=yesterday", "from")]
    [InlineData("from=2026-01-01T00:00:00", "from")]
    [InlineData("fields=a%22b", "fields")]
    [InlineData("fill=linear", "fill")]
    [InlineData("every=1m&fill=sideways", "fill")]
    public async Task Bad_parameters_are_400_problems_naming_the_parameter(string query, string parameter)
    {
        await using QueryApiHost host = await StartAsync();
        using HttpClient client = host.Client(TokenA);
        using HttpResponseMessage response = await client.GetAsync($"/v1/devices/{s_deviceA.Id}/series?{query}");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using JsonDocument problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(ProblemTypes.InvalidQuery, problem.RootElement.GetProperty("type").GetString());
        Assert.True(problem.RootElement.GetProperty("errors").TryGetProperty(parameter, out _), problem.RootElement.ToString());
    }

    [Fact]
    public async Task More_raw_points_than_the_limit_is_400_with_a_hint()
    {
        await using QueryApiHost host = await StartAsync(new Dictionary<string, string?> { ["Queries:MaxPointsPerSeries"] = "50" });
        DateTimeOffset start = DateTimeOffset.UtcNow.AddMinutes(-20);
        await host.WriteAsync("raw", Enumerable.Range(0, 60).Select(i => (s_deviceA.Id, start.AddSeconds(i), new[] { ("t", (double)i) })));
        using HttpClient client = host.Client(TokenA);
        using HttpResponseMessage response = await client.GetAsync($"/v1/devices/{s_deviceA.Id}/series?fields=t");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        string body = await response.Content.ReadAsStringAsync();
        Assert.Contains(ProblemTypes.TooManyPoints, body);
        Assert.Contains("every=", body);
    }

    internal static async Task<QueryApiHost> StartAsync(IDictionary<string, string?>? settings = null)
    {
        QueryApiHost host = await QueryApiHost.StartAsync(settings);
        host.Access.Grant(TokenA, s_deviceA, s_deviceA2);
        host.Access.Grant(TokenB, s_deviceB);
        return host;
    }

    private static async Task<SeriesAnswer> GetSeriesAsync(HttpClient client, DeviceId device, string query)
    {
        using HttpResponseMessage response = await client.GetAsync($"/v1/devices/{device}/series?{query}");
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {body}");
        return JsonSerializer.Deserialize<SeriesAnswer>(body, JsonSerializerOptions.Web)!;
    }

    private static async Task<T> PostAsync<T>(HttpClient client, object body)
    {
        using HttpResponseMessage response = await client.PostAsJsonAsync("/v1/query", body);
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {text}");
        return JsonSerializer.Deserialize<T>(text, JsonSerializerOptions.Web)!;
    }

    /// <summary>A window boundary about <paramref name="ago"/> back, so windows in the test are whole.</summary>
    internal static DateTimeOffset WindowStart(TimeSpan ago, TimeSpan window)
    {
        DateTimeOffset t = DateTimeOffset.UtcNow - ago;
        return new DateTimeOffset(t.UtcTicks - (t.UtcTicks % window.Ticks), TimeSpan.Zero);
    }

    internal static string Ms(DateTimeOffset time) => time.ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static DateTimeOffset Truncate(DateTimeOffset time) => time;

    private static string StripTraceId(string body) => System.Text.RegularExpressions.Regex.Replace(body, "\"traceId\":\"[^\"]*\"", string.Empty);
}
