using Datacake.Streams.Hosting.Composition;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Datacake.Streams.Access;
using Datacake.Streams.Api.Access;
using Datacake.Streams.Hosting;
using Datacake.Streams.Api.Queries;
using Datacake.Streams.Api.Retention;
using Datacake.Streams.Ids;
using Datacake.Streams.Influx.Client;
using Datacake.Streams.Influx.Querying;
using Datacake.Streams.Influx.LineProtocol;
using Datacake.Streams.Influx.Writing;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Datacake.Streams.Benchmarks.Queries;

/// <summary>
/// Our query API beside the same InfluxQL sent straight to influxd, in the same run: the real host (all roles, identity on
/// SQLite, real Kestrel on loopback) in this process over the real influxd. Targets (issue 6): one device, one hour at
/// one minute ≤ 1.5× direct; last values of 1,000 devices ≤ 2× direct. Both sides read the whole answer body.
/// </summary>
[InProcess]
[WarmupCount(3)]
[IterationCount(15)]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
[MinColumn]
[MedianColumn]
public class QueryOverheadBenchmark
{
    private const int Devices = 1_000;

    private readonly string _operator = AccessToken.New().Secret;
    private readonly string _database = "bench_" + Guid.NewGuid().ToString("N")[..12];
    private WebApplication _app = null!;
    private HttpClient _api = null!;
    private HttpClient _influx = null!;
    private string _dataDirectory = null!;
    private string _seriesPath = null!;
    private string _seriesInfluxQl = null!;
    private string _lastBody = null!;
    private string _lastInfluxQl = null!;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        BenchServices services = BenchServices.Load();
        _dataDirectory = Directory.CreateTempSubdirectory("dcs-bench-").FullName;
        int port = FreeTcpPort();
        WebApplicationBuilder builder = WebApplication.CreateBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Streams:DataDirectory"] = _dataDirectory,
            ["Ingest:Mqtt:PlainEndpoint"] = $"127.0.0.1:{FreeTcpPort()}",
            ["Streams:HttpUrl"] = $"http://127.0.0.1:{port}",
            ["Influx:Url"] = services.InfluxUrl,
            ["Influx:User"] = services.InfluxUser,
            ["Influx:Password"] = services.InfluxPassword,
            ["Influx:Database"] = _database,
            ["Access:OperatorToken"] = _operator,
            ["Logging:LogLevel:Default"] = "Warning",
            ["Backup:Enabled"] = "false",
        });
        builder.AddStreamsHost();
        _app = builder.Build();
        _app.MapStreamsEndpoints();
        await _app.StartAsync();
        await _app.Services.GetRequiredService<RetentionService>().Provisioned.WaitAsync(TimeSpan.FromSeconds(60));

        _api = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        _influx = new HttpClient { BaseAddress = new Uri(services.InfluxUrl) };
        _influx.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{services.InfluxUser}:{services.InfluxPassword}")));

        // One user owning a workspace of 1,000 devices: the series query reads one of them, the last-values query all.
        string user = (await SendAsync(HttpMethod.Post, "/v1/users", _operator, new { email = $"bench-{Guid.NewGuid():N}@example.test" })).GetProperty("token").GetString()!;
        string workspace = (await SendAsync(HttpMethod.Get, "/v1/me", user, null)).GetProperty("homeWorkspaceId").GetString()!;
        var ids = new string[Devices];
        await Parallel.ForAsync(0, Devices, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (i, _) =>
            ids[i] = (await SendAsync(HttpMethod.Post, $"/v1/workspaces/{workspace}/devices", user, new { name = $"Sensor {i}" })).GetProperty("id").GetString()!);
        _api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", user);

        // Raw: one point a minute per device over the last two hours; m1: the rollups of device 0's hour, as the CQ writes them.
        DateTimeOffset now = DateTimeOffset.UtcNow;
        DateTimeOffset from = QueryTime.CeilTo(now.AddMinutes(-90), TimeSpan.FromMinutes(1));
        DateTimeOffset to = from.AddHours(1);
        InfluxClient influx = _app.Services.GetRequiredService<InfluxClient>();
        using (var batch = new InfluxPointBatch(4 * 1024 * 1024))
        {
            for (int m = 0; m < 120; m++)
            {
                long ns = (now.AddMinutes(-120 + m).UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100;
                for (int d = 0; d < Devices; d++)
                {
                    var p = batch.BeginPoint();
                    p.Measurement(ids[d]);
                    p.Tag("device", ids[d]);
                    p.Field("temperature", 20 + (d % 10) + (m * 0.01));
                    p.Field("humidity", 40.0 + (m % 7));
                    p.Timestamp(ns);
                }

                if (batch.PointCount >= 10_000)
                {
                    await influx.WriteAsync(batch.Written, RetentionPolicyNames.Raw);
                    batch.Clear();
                }
            }

            await influx.WriteAsync(batch.Written, RetentionPolicyNames.Raw);
            batch.Clear();
            for (int m = 0; m < 60; m++)
            {
                var p = batch.BeginPoint();
                p.Measurement(ids[0]);
                p.Tag("device", ids[0]);
                p.Field("mean_temperature", 20 + (m * 0.01));
                p.Field("min_temperature", 19.5);
                p.Field("max_temperature", 20.5 + (m * 0.01));
                p.Field("count_temperature", 1.0);
                p.Timestamp((from.AddMinutes(m).UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100);
            }

            await influx.WriteAsync(batch.Written, RetentionPolicyNames.M1);
        }

        // The very statements the API sends for these requests (SeriesReader builds them the same way).
        _seriesPath = $"/v1/devices/{ids[0]}/series?fields=temperature&from={from.ToUnixTimeMilliseconds()}&to={to.ToUnixTimeMilliseconds()}&every=1m&agg=mean";
        _seriesInfluxQl = SeriesStatement.Build(_database, new TierSegment(StorageTier.M1, from, to, TimeSpan.FromMinutes(1)), [ids[0]], ["temperature"], Aggregate.Mean, FillMode.None, groupByDevice: true, limit: 10_001);
        string[] fields = ["temperature", "humidity"];
        _lastBody = JsonSerializer.Serialize(new { devices = ids, fields, agg = "last" });
        _lastInfluxQl = string.Join(";\n", fields.Select(f => SeriesStatement.Last(_database, ids, f, null, null)));

        // Both sides must answer the same thing before anything is timed.
        using JsonDocument series = JsonDocument.Parse(await SeriesApi());
        if (series.RootElement.GetProperty("tier").GetString() != "m1" || series.RootElement.GetProperty("series")[0].GetProperty("points").GetArrayLength() != 60)
        {
            throw new InvalidOperationException("the series query did not answer 60 one-minute windows from m1: " + series.RootElement.GetRawText()[..Math.Min(400, series.RootElement.GetRawText().Length)]);
        }

        using JsonDocument last = JsonDocument.Parse(await LastApi());
        if (last.RootElement.GetArrayLength() != Devices || last.RootElement[Devices - 1].GetProperty("values").EnumerateObject().Count() != 2)
        {
            throw new InvalidOperationException("the last-values query did not answer both fields of 1,000 devices");
        }
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        using (var response = await _influx.PostAsync("/query", new FormUrlEncodedContent([new("q", $"DROP DATABASE {InfluxQl.QuoteIdentifier(_database)}")])))
        {
            response.EnsureSuccessStatusCode();
        }

        await _app.StopAsync();
        await _app.DisposeAsync();
        _api.Dispose();
        _influx.Dispose();
        Directory.Delete(_dataDirectory, recursive: true);
    }

    [BenchmarkCategory("Series1h1m"), Benchmark(Baseline = true)]
    public Task<byte[]> SeriesDirect() => DirectAsync(_seriesInfluxQl);

    [BenchmarkCategory("Series1h1m"), Benchmark]
    public Task<byte[]> SeriesApi() => _api.GetByteArrayAsync(_seriesPath);

    [BenchmarkCategory("Last1000"), Benchmark(Baseline = true)]
    public Task<byte[]> LastDirect() => DirectAsync(_lastInfluxQl);

    [BenchmarkCategory("Last1000"), Benchmark]
    public async Task<byte[]> LastApi()
    {
        using var content = new StringContent(_lastBody, Encoding.UTF8, "application/json");
        using HttpResponseMessage response = await _api.PostAsync("/v1/query", content);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadAsByteArrayAsync();
    }

    /// <summary>What InfluxClient sends: POST /query, form body, epoch=ns.</summary>
    private async Task<byte[]> DirectAsync(string influxQl)
    {
        using var form = new FormUrlEncodedContent([new("q", influxQl), new("db", _database), new("epoch", "ns")]);
        using HttpResponseMessage response = await _influx.PostAsync("/query", form);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadAsByteArrayAsync();
    }

    private async Task<JsonElement> SendAsync(HttpMethod method, string path, string token, object? body)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (body is not null)
        {
            request.Content = new StringContent(JsonSerializer.Serialize(body, JsonSerializerOptions.Web), Encoding.UTF8, "application/json");
        }

        using HttpResponseMessage response = await _api.SendAsync(request);
        string text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{method} {path}: {(int)response.StatusCode} {text}");
        }

        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private static int FreeTcpPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
