using System.Diagnostics;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using InfluxDB.Client;
using InfluxDB.Client.Api.Domain;
using InfluxDB.Client.Writes;

namespace Datacake.Streams.IntegrationTests.EndToEnd;

/// <summary>
/// InfluxDB's write endpoints through the real executable, with real clients: the Debian <c>influx</c> 1.6.7 CLI's
/// INSERT (<c>/write</c>, Basic auth, the device token as password) and InfluxDB.Client 5.1's write API
/// (<c>/api/v2/write</c>, <c>Authorization: Token</c>, gzip), into InfluxDB through the pipeline; partial writes,
/// InfluxDB's error shapes, two tenants and the workspace quota.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class InfluxWriteTests(EndToEndHost e2e)
{
    private const string Database = "datacake";

    [Fact]
    public async Task The_influx_CLI_inserts_with_a_device_token_and_the_points_read_back_through_the_api()
    {
        var device = await e2e.NewDeviceAsync("cli sensor");
        var (exit, output) = await InfluxCliAsync(device.Token, "INSERT measurements temperature=21.5");
        Assert.True(exit == 0 && !output.Contains("ERR", StringComparison.Ordinal), $"influx exited {exit}: {output}");
        (exit, output) = await InfluxCliAsync(device.Token, "INSERT cpu,host=box usage_idle=99.5");
        Assert.True(exit == 0 && !output.Contains("ERR", StringComparison.Ordinal), $"influx exited {exit}: {output}");

        var last = await Until.Async(
            async () => (await e2e.Api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/v1/devices/{device.Id}/last", e2e.OwnerToken)).Json.GetProperty("values"),
            v => v.TryGetProperty("temperature", out _) && v.TryGetProperty("cpu_usage_idle", out _),
            "the CLI's points in the device's last values");
        Assert.Equal(21.5, last.GetProperty("temperature").GetProperty("value").GetDouble());
        Assert.Equal(99.5, last.GetProperty("cpu_usage_idle").GetProperty("value").GetDouble());
        Assert.Equal("box", last.GetProperty("cpu_host").GetProperty("value").GetString());

        // A wrong token: InfluxDB's own answer, which the CLI prints.
        (_, output) = await InfluxCliAsync("dcs_not-a-token", "INSERT measurements temperature=1");
        Assert.Contains("authorization failed", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InfluxDB_Client_writes_through_api_v2_write_gzip_included_and_every_point_is_stored_exactly_once()
    {
        var device = await e2e.NewDeviceAsync("v2 client sensor");
        var start = DateTimeOffset.UtcNow.AddMinutes(-5);
        var startNs = (start - DateTimeOffset.UnixEpoch).Ticks * 100;
        var points = Enumerable.Range(0, 200).Select(i => PointData.Measurement("measurements")
            .Field("sequence", (long)i).Field("load", i + 0.25).Field("ok", i % 2 == 0)
            .Timestamp(startNs + (i * 1_000_000L), WritePrecision.Ns)).ToList();

        using (var client = new InfluxDBClient($"http://127.0.0.1:{e2e.Host.HttpPort}", device.Token))
        {
            await client.GetWriteApiAsync().WritePointsAsync(points.Take(100).ToList(), bucket: "any", org: "any");
        }

        using (var gzip = new InfluxDBClient(new InfluxDBClientOptions($"http://127.0.0.1:{e2e.Host.HttpPort}") { Token = device.Token }))
        {
            gzip.EnableGzip();
            await gzip.GetWriteApiAsync().WritePointsAsync(points.Skip(100).ToList(), bucket: "other", org: "whatever");
        }

        var stored = await e2e.Influx.WaitForPointsAsync(device.Id, 200);
        Assert.Equal(Enumerable.Range(0, 200).Select(i => (double)i), stored.Select(p => p.Number("sequence")));
        Assert.Equal(Enumerable.Range(0, 200).Select(i => startNs + (i * 1_000_000L)), stored.Select(p => p.TimeNs));
        Assert.Equal(1.25, stored[1].Number("load"));
        Assert.False(stored[1].Columns["ok"].GetBoolean());

        // Sent again (a client's retry): the same points, not new ones.
        using (var client = new InfluxDBClient($"http://127.0.0.1:{e2e.Host.HttpPort}", device.Token))
        {
            await client.GetWriteApiAsync().WritePointsAsync(points.Take(10).ToList(), bucket: "any", org: "any");
            await client.GetWriteApiAsync().WritePointAsync(PointData.Measurement("measurements").Field("sequence", 200L).Timestamp(startNs + 200_000_000L, WritePrecision.Ns), bucket: "any", org: "any");
        }

        stored = await e2e.Influx.WaitForPointsAsync(device.Id, 201);
        Assert.Equal(201, stored.Count);

        // And back through the host's InfluxDB v1 read API (/query), as an InfluxDB client reads: the owner's token as
        // the password, the virtual measurement, the device by id, times in ns.
        using var reader = new HttpClient { BaseAddress = e2e.Host.Http.BaseAddress };
        reader.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue(
            "Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("reader:" + e2e.OwnerToken)));
        var q = $"SELECT \"sequence\", \"load\" FROM \"measurements\" WHERE \"device_id\" = '{device.Id}' AND time >= {startNs}";
        using var answer = await reader.GetAsync($"/query?db=datacake&epoch=ns&q={Uri.EscapeDataString(q)}");
        var json = System.Text.Json.JsonDocument.Parse(await answer.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        var rows = json.GetProperty("results")[0].GetProperty("series")[0].GetProperty("values").EnumerateArray().ToList();
        Assert.Equal(Enumerable.Range(0, 201).Select(i => (double)i), rows.Select(r => r[1].GetDouble()));
        Assert.Equal(Enumerable.Range(0, 201).Select(i => startNs + (i * 1_000_000L)), rows.Select(r => r[0].GetInt64()));
        Assert.Equal(1.25, rows[1][2].GetDouble());
    }

    [Fact]
    public async Task A_partial_write_stores_the_good_lines_and_answers_InfluxDBs_partial_write_with_the_dropped_count()
    {
        var device = await e2e.NewDeviceAsync("partial sensor");
        var other = await e2e.NewDeviceAsync("partial neighbour");
        var t = (DateTimeOffset.UtcNow.AddMinutes(-2) - DateTimeOffset.UnixEpoch).Ticks / 10_000;
        var body = $"measurements n=1 {t}\nnot line protocol\nmeasurements,device={other.Id} n=99 {t + 1}\nmeasurements,device={device.Id} n=2 {t + 2}\n# comment\nmeasurements n=3 {t + 3}\n";
        var (status, answer, _) = await WriteV1Async(device.Token, body, "precision=ms");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        var error = JsonDocument.Parse(answer).RootElement.GetProperty("error").GetString()!;
        Assert.StartsWith("partial write: unable to parse 'not line protocol': invalid field format\nunable to store 'measurements,device=", error, StringComparison.Ordinal);
        Assert.EndsWith(" dropped=1", error, StringComparison.Ordinal);

        var stored = await e2e.Influx.WaitForPointsAsync(device.Id, 3);
        Assert.Equal([1.0, 2.0, 3.0], stored.Select(p => p.Number("n")));
        Assert.Equal([(t * 1_000_000) + 0, (t + 2) * 1_000_000, (t + 3) * 1_000_000], stored.Select(p => p.TimeNs));

        // gzip by hand on v1, and nothing of the refused line reached the device it named.
        using var compressed = new MemoryStream();
        await using (var zip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
        {
            await zip.WriteAsync(Encoding.UTF8.GetBytes($"measurements n=4 {t + 4}\n"));
        }

        (status, answer, _) = await WriteV1Async(device.Token, compressed.ToArray(), "precision=ms", gzip: true);
        Assert.True(status == HttpStatusCode.NoContent, answer);
        Assert.Equal(4, (await e2e.Influx.WaitForPointsAsync(device.Id, 4)).Count);
        Assert.Empty(await e2e.Influx.PointsAsync(other.Id));
    }

    [Fact]
    public async Task A_second_tenants_device_token_reaches_only_its_own_device_and_refusals_have_InfluxDBs_shapes()
    {
        var mine = await e2e.NewDeviceAsync("tenant A sensor");
        var theirs = await e2e.NewOtherTenantsDeviceAsync("tenant B sensor");
        var t = (DateTimeOffset.UtcNow.AddMinutes(-1) - DateTimeOffset.UnixEpoch).Ticks * 100;

        // B names A's device by tag: refused line, nothing anywhere.
        foreach (var tag in new[] { "device", "device_id" })
        {
            var (status, answer, _) = await WriteV1Async(theirs.Token, $"measurements,{tag}={mine.Id} stolen=1 {t}");
            Assert.Equal(HttpStatusCode.BadRequest, status);
            Assert.Contains($"tag {tag} names another device", answer, StringComparison.Ordinal);
        }

        // A user token (even the workspace owner's) is no ingest credential: 401 as a missing or wrong one.
        Assert.Equal(HttpStatusCode.Unauthorized, (await WriteV1Async(e2e.OwnerToken, $"measurements x=1 {t}")).Status);
        var (unauthorized, body, headers) = await WriteV1Async(null, $"measurements x=1 {t}");
        Assert.Equal(HttpStatusCode.Unauthorized, unauthorized);
        Assert.Equal("{\"error\":\"authorization failed\"}", body);
        Assert.Contains("Basic realm=\"InfluxDB\"", headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        Assert.Equal((HttpStatusCode.Unauthorized, "{\"code\":\"unauthorized\",\"message\":\"unauthorized access\"}"), await WriteV2Async(mine.Token[..^2] + "xx", $"measurements x=1 {t}"));
        Assert.Equal((HttpStatusCode.NotFound, "{\"error\":\"database not found: \\\"other\\\"\"}"), Pair(await WriteV1Async(mine.Token, "measurements x=1", "db=other")));
        Assert.Equal((HttpStatusCode.BadRequest, "{\"error\":\"database is required\"}"), Pair(await WriteV1Async(mine.Token, "measurements x=1", "db=")));

        // Each token's points land on its own device only.
        Assert.Equal(HttpStatusCode.NoContent, (await WriteV1Async(theirs.Token, $"measurements own=2 {t}")).Status);
        Assert.Equal(HttpStatusCode.NoContent, (await WriteV1Async(mine.Token, $"measurements own=1 {t}")).Status);
        Assert.Equal([2.0], (await e2e.Influx.WaitForPointsAsync(theirs.Id, 1)).Select(p => p.Number("own")));
        var minePoints = await e2e.Influx.WaitForPointsAsync(mine.Id, 1);
        Assert.Equal([1.0], minePoints.Select(p => p.Number("own")));
        Assert.DoesNotContain(minePoints, p => p.Columns.ContainsKey("stolen"));
    }

    [Fact]
    public async Task A_workspace_over_its_quota_gets_429_with_Retry_After_and_nothing_of_that_request_is_stored()
    {
        var user = (await e2e.Api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, "/v1/users", e2e.OperatorToken, new { email = $"lp-quota-{Guid.NewGuid():N}@example.test" })).Str("token");
        var workspace = (await e2e.Api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/v1/me", user)).Str("homeWorkspaceId");
        var id = (await e2e.Api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/workspaces/{workspace}/devices", user, new { name = "flooder" })).Str("id");
        var token = (await e2e.Api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/devices/{id}/tokens", user)).Str("token");
        await e2e.Api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Put, $"/v1/ops/workspaces/{workspace}/quota", e2e.OperatorToken, new { pointsPerSecond = 0.5, burst = 6 });
        var t = (DateTimeOffset.UtcNow.AddMinutes(-1) - DateTimeOffset.UnixEpoch).Ticks * 100;
        string Lines(int from, int count) => string.Join('\n', Enumerable.Range(from, count).Select(i => $"measurements n={i} {t + i}"));

        // The token known at ingest first (a db probe authenticates and stores nothing).
        await Until.Async(async () => (await WriteV1Async(token, "x", "db=nope")).Status, s => s == HttpStatusCode.NotFound, "the token at ingest");
        // The bucket lends a full burst to one larger request (10 > 6), then refuses until the debt is paid back.
        Assert.Equal(HttpStatusCode.NoContent, (await WriteV1Async(token, Lines(0, 10))).Status);
        var (status, body, headers) = await WriteV1Async(token, Lines(50, 3));
        Assert.True(status == HttpStatusCode.TooManyRequests, $"{(int)status} {body}");
        Assert.True(headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1), "429 without Retry-After");
        Assert.Contains("quota", JsonDocument.Parse(body).RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);
        var v2 = await WriteV2Async(token, Lines(60, 3));
        Assert.Equal(HttpStatusCode.TooManyRequests, v2.Status);
        Assert.Equal("too many requests", JsonDocument.Parse(v2.Body).RootElement.GetProperty("code").GetString());

        // The quota lifted, the next write is stored; the refused ones never are.
        await e2e.Api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Delete, $"/v1/ops/workspaces/{workspace}/quota", e2e.OperatorToken);
        Assert.Equal(HttpStatusCode.NoContent, (await WriteV1Async(token, Lines(100, 3))).Status);
        var stored = await Until.Async(() => e2e.Influx.PointsAsync(id), p => p.Any(r => r.Number("n") == 102), "the write after the quota");
        Assert.Equal(Enumerable.Range(0, 10).Concat([100, 101, 102]).Select(i => (double)i), stored.Select(p => p.Number("n")));
    }

    private static (HttpStatusCode, string) Pair((HttpStatusCode Status, string Body, HttpResponseHeaders _) answer) => (answer.Status, answer.Body);

    private Task<(HttpStatusCode Status, string Body, HttpResponseHeaders Headers)> WriteV1Async(string? token, string body, string query = "") =>
        WriteV1Async(token, Encoding.UTF8.GetBytes(body), query);

    private async Task<(HttpStatusCode Status, string Body, HttpResponseHeaders Headers)> WriteV1Async(string? token, byte[] body, string query = "", bool gzip = false)
    {
        var parameters = query.Contains("db=", StringComparison.Ordinal) ? query : $"db={Database}&{query}";
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/write?{parameters}") { Content = new ByteArrayContent(body) };
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"telegraf:{token}")));
        }

        if (gzip)
        {
            request.Content.Headers.ContentEncoding.Add("gzip");
        }

        using var response = await e2e.Host.Http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(), response.Headers);
    }

    private async Task<(HttpStatusCode Status, string Body)> WriteV2Async(string token, string body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v2/write?org=o&bucket=b&precision=ns") { Content = new StringContent(body) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Token", token);
        using var response = await e2e.Host.Http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private async Task<(int Exit, string Output)> InfluxCliAsync(string password, string statement)
    {
        var start = new ProcessStartInfo("/usr/bin/influx")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in new[] { "-host", "127.0.0.1", "-port", e2e.Host.HttpPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-username", "telegraf", "-password", password, "-database", Database, "-execute", statement })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(deadline.Token);
        return (process.ExitCode, await stdout + await stderr);
    }
}
