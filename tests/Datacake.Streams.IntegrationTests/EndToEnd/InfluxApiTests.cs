using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Datacake.Streams.IntegrationTests.EndToEnd;

/// <summary>
/// The InfluxDB v1 read API of the real executable: the request sequence of Grafana's InfluxDB datasource (InfluxQL
/// mode: pkg/tsdb/influxdb/influxql, influxql_query_builder.ts: GET or POST form, db, epoch=ms, Basic auth), the
/// Debian <c>influx</c> CLI, and a second tenant trying to read the first one's devices.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class InfluxApiTests(EndToEndHost e2e)
{
    private static readonly DateTimeOffset _minute = new DateTimeOffset(DateTime.UtcNow.Ticks / TimeSpan.TicksPerMinute * TimeSpan.TicksPerMinute, TimeSpan.Zero).AddMinutes(-10);

    [Fact]
    public async Task Grafanas_request_sequence_is_answered_as_grafana_parses_it()
    {
        string name = "boiler-" + Guid.NewGuid().ToString("N")[..6];
        TestDevice boiler = await e2e.NewDeviceAsync(name);
        await WriteAsync(boiler.Id, (_minute.AddSeconds(5), 20), (_minute.AddSeconds(35), 22), (_minute.AddMinutes(1).AddSeconds(5), 30));
        using HttpClient grafana = Basic("grafana", e2e.OwnerToken);

        // Datasource health check and variables: metadata by GET and by POST form (httpMode).
        JsonElement policies = await GetAsync(grafana, "SHOW RETENTION POLICIES on \"datacake\"");
        Assert.Equal(["raw", "m1", "h1"], Series(policies).Single().GetProperty("values").EnumerateArray().Select(v => v[0].GetString()));
        Assert.True(Series(policies).Single().GetProperty("values")[0][4].GetBoolean());
        Assert.Equal(["measurements"], Values(await PostAsync(grafana, "SHOW MEASUREMENTS LIMIT 100")).Select(v => v[0].GetString()));
        Assert.Equal(["measurements"], Values(await PostAsync(grafana, "SHOW MEASUREMENTS WITH MEASUREMENT =~ /(?i)MEAS/ LIMIT 100")).Select(v => v[0].GetString()));
        Assert.Contains(Values(await GetAsync(grafana, "SHOW FIELD KEYS FROM \"measurements\"")), v => v[0].GetString() == "temperature" && v[1].GetString() == "float");
        Assert.Equal(["device", "device_id", "workspace_id"], Values(await GetAsync(grafana, "SHOW TAG KEYS FROM \"measurements\"")).Select(v => v[0].GetString()));
        Assert.Contains(name, Values(await GetAsync(grafana, "SHOW TAG VALUES FROM \"measurements\" WITH KEY = \"device\"")).Select(v => v[1].GetString()));
        Assert.Equal(
            [boiler.Id],
            Values(await GetAsync(grafana, $"SHOW TAG VALUES WITH KEY = \"device_id\" WHERE \"device\" = '{name}'")).Select(v => v[1].GetString()));

        // A query-builder panel, time filter as Grafana interpolates it (epoch ms literals). 30 s windows: raw answers
        // (1m would be m1's, which the rollup fills only on its next refresh; the exact-aggregates work covers that).
        long from = _minute.AddMinutes(-5).ToUnixTimeMilliseconds();
        long to = _minute.AddMinutes(3).ToUnixTimeMilliseconds();
        JsonElement panel = await GetAsync(grafana, $"SELECT mean(\"temperature\") FROM \"measurements\" WHERE (\"device\" =~ /^{name}$/) AND time >= {from}ms and time <= {to}ms GROUP BY time(30s) fill(null)");
        JsonElement series = Series(panel).Single();
        Assert.Equal("measurements", series.GetProperty("name").GetString());
        Assert.Equal(["time", "mean"], series.GetProperty("columns").EnumerateArray().Select(c => c.GetString()));
        var points = series.GetProperty("values").EnumerateArray().Where(v => v[1].ValueKind != JsonValueKind.Null).Select(v => (v[0].GetInt64(), v[1].GetDouble())).ToList();
        Assert.Equal([(_minute.ToUnixTimeMilliseconds(), 20.0), (_minute.AddSeconds(30).ToUnixTimeMilliseconds(), 22.0), (_minute.AddMinutes(1).ToUnixTimeMilliseconds(), 30.0)], points);
        Assert.Equal(17, series.GetProperty("values").GetArrayLength());

        // An ad-hoc filter (appended with AND) and GROUP BY a tag: the series carries the device's name.
        JsonElement adhoc = await PostAsync(grafana, $"SELECT max(\"temperature\") FROM \"measurements\" WHERE time >= {from}ms and time <= {to}ms AND \"device\" = '{name}' GROUP BY time(30s), \"device\" fill(none)");
        JsonElement tagged = Series(adhoc).Single();
        Assert.Equal(name, tagged.GetProperty("tags").GetProperty("device").GetString());
        Assert.Equal([20.0, 22.0, 30.0], tagged.GetProperty("values").EnumerateArray().Select(v => v[1].GetDouble()));

        // A raw-mode query with math and an alias, newest first.
        JsonElement raw = await GetAsync(grafana, $"SELECT \"temperature\" * 2 AS \"double\" FROM \"measurements\" WHERE \"device_id\" = '{boiler.Id}' AND time > now() - 1h ORDER BY time DESC LIMIT 2");
        JsonElement rows = Series(raw).Single();
        Assert.Equal(["time", "double"], rows.GetProperty("columns").EnumerateArray().Select(c => c.GetString()));
        Assert.Equal([60.0, 44.0], rows.GetProperty("values").EnumerateArray().Select(v => v[1].GetDouble()));

        // Several statements in one request; RFC 3339 times without epoch.
        using var both = await grafana.GetAsync($"/query?db=datacake&q={Uri.EscapeDataString($"SHOW DATABASES; SELECT last(\"temperature\") FROM \"measurements\" WHERE \"device\" = '{name}' AND time > now() - 1h")}");
        JsonElement twice = JsonElement.Parse(await both.Content.ReadAsStringAsync());
        Assert.Equal(2, twice.GetProperty("results").GetArrayLength());
        Assert.Equal(1, twice.GetProperty("results")[1].GetProperty("statement_id").GetInt32());
        Assert.Equal(InfluxApi(_minute.AddMinutes(1).AddSeconds(5)), Series(twice, 1).Single().GetProperty("values")[0][0].GetString());
    }

    [Fact]
    public async Task Every_query_of_the_provisioned_grafana_dashboard_answers_as_grafana_interpolates_it()
    {
        string name = "dash-" + Guid.NewGuid().ToString("N")[..6];
        TestDevice device = await e2e.NewDeviceAsync(name);
        (DateTimeOffset Time, double Value)[] sent = [(_minute.AddSeconds(5), 20), (_minute.AddSeconds(35), 22), (_minute.AddMinutes(1).AddSeconds(5), 30)];
        foreach (var (time, value) in sent)
        {
            string body = string.Create(CultureInfo.InvariantCulture, $"{{\"time\":{time.ToUnixTimeMilliseconds()},\"temperature\":{value}}}");
            await Until.Async(() => Senders.MeasurementAsync(e2e.Host.Http, device, body), r => r.Status == HttpStatusCode.Accepted, "a measurement accepted");
        }

        await e2e.Influx.WaitForPointsAsync(device.Id, sent.Length);
        using HttpClient grafana = Basic("grafana", e2e.OwnerToken);
        using JsonDocument dashboard = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(Backups.DcsCli.RepositoryRoot, "ops", "grafana", "dashboards", "datacake-devices.json")));

        // The variables, as the dashboard loads them.
        var variables = dashboard.RootElement.GetProperty("templating").GetProperty("list").EnumerateArray()
            .Where(v => v.GetProperty("type").GetString() == "query")
            .ToDictionary(v => v.GetProperty("name").GetString()!, v => v.GetProperty("query").GetString()!);
        Assert.Contains(name, Values(await PostAsync(grafana, variables["device"])).Select(v => v[1].GetString()));
        Assert.Contains("temperature", Values(await PostAsync(grafana, variables["field"])).Select(v => v[0].GetString()));

        // Every panel target at 1-minute windows (m1's resolution: the minutes its rollup has not caught up with come
        // from raw), the time filter as epoch-ms literals, the device variable as a regex; then with an ad-hoc filter.
        long from = _minute.AddMinutes(-5).ToUnixTimeMilliseconds();
        long to = _minute.AddMinutes(3).ToUnixTimeMilliseconds();
        var answers = new Dictionary<string, List<double>>();
        foreach (JsonElement panel in dashboard.RootElement.GetProperty("panels").EnumerateArray())
        {
            foreach (JsonElement target in panel.GetProperty("targets").EnumerateArray())
            {
                string query = target.GetProperty("query").GetString()!
                    .Replace("$timeFilter", $"time >= {from}ms and time <= {to}ms", StringComparison.Ordinal)
                    .Replace("$__interval", "1m", StringComparison.Ordinal)
                    .Replace("$device", System.Text.RegularExpressions.Regex.Escape(name), StringComparison.Ordinal)
                    .Replace("$field", "temperature", StringComparison.Ordinal);
                foreach (string variant in new[] { query, query.Replace(" GROUP BY", $" AND \"device\" = '{name}' GROUP BY", StringComparison.Ordinal) })
                {
                    JsonElement series = Series(await PostAsync(grafana, variant)).Single();
                    Assert.Equal(name, series.GetProperty("tags").GetProperty("device").GetString());
                    var values = series.GetProperty("values").EnumerateArray().Where(v => v[1].ValueKind != JsonValueKind.Null).Select(v => v[1].GetDouble()).ToList();
                    string key = panel.GetProperty("id").GetInt32().ToString(CultureInfo.InvariantCulture) + target.GetProperty("refId").GetString();
                    if (answers.TryGetValue(key, out var first))
                    {
                        Assert.Equal(first, values);
                    }

                    answers[key] = values;
                }
            }
        }

        Assert.Equal([21.0, 30.0], answers["1A"]);
        Assert.Equal([20.0, 30.0], answers["2A"]);
        Assert.Equal([22.0, 30.0], answers["2B"]);
        Assert.Equal([30.0], answers["3A"]);
    }

    [Fact]
    public async Task Devices_combine_exactly_into_one_series_or_are_refused()
    {
        string prefix = "pair-" + Guid.NewGuid().ToString("N")[..6];
        TestDevice a = await e2e.NewDeviceAsync(prefix + "-a");
        TestDevice b = await e2e.NewDeviceAsync(prefix + "-b");
        await WriteAsync(a.Id, (_minute.AddSeconds(1), 10), (_minute.AddSeconds(2), 20), (_minute.AddSeconds(3), 30));
        await WriteAsync(b.Id, (_minute.AddSeconds(4), 100));
        using HttpClient grafana = Basic("grafana", e2e.OwnerToken);
        string range = $"time >= {_minute.ToUnixTimeMilliseconds()}ms AND time < {_minute.AddMinutes(1).ToUnixTimeMilliseconds()}ms";

        // Σ/Σcount over all four points (40), not the mean of the two device means (60).
        JsonElement mean = await GetAsync(grafana, $"SELECT mean(\"temperature\") FROM \"measurements\" WHERE \"device\" =~ /^{prefix}-/ AND {range} GROUP BY time(30s) fill(none)");
        Assert.Equal(40.0, Series(mean).Single().GetProperty("values")[0][1].GetDouble());
        JsonElement raw = await GetAsync(grafana, $"SELECT \"temperature\" FROM \"measurements\" WHERE \"device\" =~ /^{prefix}-/ AND {range} LIMIT 3 OFFSET 1");
        Assert.Equal([20.0, 30.0, 100.0], Series(raw).Single().GetProperty("values").EnumerateArray().Select(v => v[1].GetDouble()));
        JsonElement median = await GetAsync(grafana, $"SELECT median(\"temperature\") FROM \"measurements\" WHERE \"device\" =~ /^{prefix}-/ AND {range}");
        Assert.Contains("no exact combination", median.GetProperty("results")[0].GetProperty("error").GetString(), StringComparison.Ordinal);
        JsonElement perDevice = await GetAsync(grafana, $"SELECT median(\"temperature\") FROM \"measurements\" WHERE \"device\" =~ /^{prefix}-/ AND {range} GROUP BY \"device\"");
        Assert.Equal([(prefix + "-a", 20.0), (prefix + "-b", 100.0)], Series(perDevice).Select(s => (s.GetProperty("tags").GetProperty("device").GetString(), s.GetProperty("values")[0][1].GetDouble())));
    }

    [Fact]
    public async Task A_second_tenant_sees_nothing_of_the_first()
    {
        string name = "vault-" + Guid.NewGuid().ToString("N")[..6];
        TestDevice victim = await e2e.NewDeviceAsync(name);
        TestDevice attacker = await e2e.NewOtherTenantsDeviceAsync("probe");
        // A value no device id can hold ('.' is not in ids): "666" alone once matched the attacker's random id.
        await WriteAsync(victim.Id, (_minute.AddSeconds(1), 666.125));
        await WriteAsync(attacker.Id, (_minute.AddSeconds(1), 1));
        using HttpClient b = Basic("b", attacker.Token);

        string[] probes =
        [
            $"SELECT * FROM \"measurements\" WHERE \"device_id\" = '{victim.Id}'",
            $"SELECT * FROM \"measurements\" WHERE \"device\" = '{name}'",
            $"SELECT * FROM \"measurements\" WHERE \"device\" =~ /.*/ OR \"device_id\" = '{victim.Id}'",
            "SELECT * FROM \"measurements\" WHERE \"device\" = 'probe\\' OR \"device\" =~ /.*/ --'",
            $"SELECT * FROM \"measurements\" WHERE \"device_id\" = '{victim.Id}\\'' OR '1'='1'",
            $"SELECT \"temperature\" FROM \"raw\".\"{victim.Id}\"",
            $"SELECT \"temperature\" FROM /{victim.Id}/",
            $"SELECT \"temperature\" FROM /.*/ GROUP BY *",
            $"SELECT \"temperature\\\" FROM \\\"{victim.Id}\" FROM \"measurements\"",
            $"SELECT \"temperature\" FROM \"measurements\" WHERE time > '2020-01-01T00:00:00Z\\' OR \"device_id\" = \\'{victim.Id}'",
            $"SELECT \"temperature\" FROM \"measurements\" WHERE \"a\\nb\" = 'x'",
            $"SELECT mean(\"temperature\") FROM \"measurements\" WHERE \"device_id\" = '{victim.Id}' GROUP BY time(1m), *",
            $"SELECT * FROM (SELECT * FROM \"{victim.Id}\")",
        ];
        foreach (string probe in probes)
        {
            string body = await RawAsync(b, probe);
            Assert.DoesNotContain("666.125", body, StringComparison.Ordinal);
            Assert.DoesNotContain(victim.Id, body.Replace(Escaped(probe), string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);
            Assert.DoesNotContain(name, body, StringComparison.Ordinal);
        }

        // A regex matching everything reads the caller's own device only.
        JsonElement all = await GetAsync(b, "SELECT \"temperature\" FROM \"measurements\" WHERE \"device\" =~ /.*/ GROUP BY \"device_id\"");
        Assert.Equal([attacker.Id], Series(all).Select(s => s.GetProperty("tags").GetProperty("device_id").GetString()));
        Assert.Equal([attacker.Id], Values(await GetAsync(b, "SHOW TAG VALUES WITH KEY =~ /.*/ WHERE \"device_id\" =~ /.*/")).Where(v => v[0].GetString() == "device_id").Select(v => v[1].GetString()));
        Assert.DoesNotContain("666.125", await RawAsync(b, "SHOW FIELD KEYS"), StringComparison.Ordinal);

        // Every statement class that is not a read is refused, per statement, and changes nothing.
        string[] refused =
        [
            $"DROP DATABASE \"{e2e.Database}\"", "DROP MEASUREMENT \"measurements\"", $"DROP SERIES FROM \"{victim.Id}\"", "CREATE DATABASE x", "ALTER RETENTION POLICY raw ON datacake DURATION 1h",
            $"DELETE FROM \"{victim.Id}\"", "GRANT ALL TO b", "REVOKE ALL FROM b", "KILL QUERY 1", "SHOW USERS", "SHOW GRANTS FOR b", "SHOW SERIES",
            "SHOW CONTINUOUS QUERIES", "SHOW SHARDS", "SHOW STATS", "SHOW DIAGNOSTICS", "SELECT * INTO \"copy\" FROM \"measurements\"", "SET PASSWORD FOR b = 'x'",
            "INSERT measurements,device=x temperature=1", "EXPLAIN SELECT * FROM \"measurements\"",
        ];
        foreach (string statement in refused)
        {
            JsonElement answer = await GetAsync(b, "SHOW DATABASES; " + statement);
            Assert.Contains("not allowed", answer.GetProperty("results")[1].GetProperty("error").GetString(), StringComparison.Ordinal);
        }

        Assert.Single(await e2e.Influx.PointsAsync(victim.Id));

        // Credentials: none, a wrong password, the operator's token (reads no workspace data), Token and u/p forms.
        using var anonymous = new HttpClient { BaseAddress = e2e.Host.Http.BaseAddress };
        using HttpResponseMessage none = await anonymous.GetAsync("/query?q=SHOW+DATABASES");
        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        Assert.Equal("""{"error":"authorization failed"}""", await none.Content.ReadAsStringAsync());
        using HttpResponseMessage wrong = await anonymous.GetAsync("/query?u=b&p=dcs_wrong&q=SHOW+DATABASES");
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        using HttpClient operatorClient = Basic("op", e2e.OperatorToken);
        Assert.Equal(HttpStatusCode.Forbidden, (await operatorClient.GetAsync("/query?q=SHOW+DATABASES")).StatusCode);
        using HttpResponseMessage parameters = await anonymous.GetAsync($"/query?u=b&p={attacker.Token}&db=datacake&q=SHOW+DATABASES");
        Assert.Equal(HttpStatusCode.OK, parameters.StatusCode);
        using var tokenScheme = new HttpClient { BaseAddress = e2e.Host.Http.BaseAddress };
        tokenScheme.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Token", attacker.Token);
        Assert.Equal(HttpStatusCode.OK, (await tokenScheme.GetAsync("/query?q=SHOW+DATABASES")).StatusCode);

        // Errors in InfluxDB's shapes: a parse error is 400 for the request, another database a statement error.
        using HttpResponseMessage parse = await b.GetAsync("/query?db=datacake&q=SELEC+1");
        Assert.Equal(HttpStatusCode.BadRequest, parse.StatusCode);
        Assert.StartsWith("{\"error\":\"error parsing query: found SELEC, expected SELECT", await parse.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        JsonElement otherDb = await Query(b, HttpMethod.Get, "SELECT * FROM \"measurements\"", database: e2e.Database);
        Assert.Equal($"database not found: {e2e.Database}", otherDb.GetProperty("results")[0].GetProperty("error").GetString());
    }

    [Fact]
    public async Task The_influx_cli_runs_show_and_select()
    {
        string name = "cli-" + Guid.NewGuid().ToString("N")[..6];
        TestDevice device = await e2e.NewDeviceAsync(name);
        await WriteAsync(device.Id, (_minute.AddSeconds(1), 12.5), (_minute.AddSeconds(2), 13.5));
        string output = await CliAsync(e2e.OwnerToken, $"SHOW TAG VALUES WITH KEY = \"device\" WHERE \"device\" = '{name}'; SELECT mean(\"temperature\") FROM \"measurements\" WHERE \"device\" = '{name}' AND time > now() - 1h");
        JsonElement json = JsonElement.Parse(output.Split('\n', StringSplitOptions.RemoveEmptyEntries)[0]);
        JsonElement[] results = [.. json.GetProperty("results").EnumerateArray()];
        Assert.Equal(name, results[0].GetProperty("series")[0].GetProperty("values")[0][1].GetString());
        Assert.Equal(13.0, results[1].GetProperty("series")[0].GetProperty("values")[0][1].GetDouble());
        Assert.Contains("authorization failed", await CliAsync("dcs_nope", "SHOW DATABASES", expectFailure: true), StringComparison.Ordinal);
    }

    private async Task<string> CliAsync(string token, string statements, bool expectFailure = false)
    {
        var start = new ProcessStartInfo("/usr/bin/influx")
        {
            ArgumentList = { "-host", "127.0.0.1", "-port", e2e.Host.HttpPort.ToString(CultureInfo.InvariantCulture), "-username", "cli", "-password", token, "-database", "datacake", "-format", "json", "-execute", statements },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using Process process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(deadline.Token);
        string output = await stdout + await stderr;
        Assert.True(expectFailure || process.ExitCode == 0, $"influx exited {process.ExitCode}: {output}");
        return output;
    }

    private Task WriteAsync(string device, params (DateTimeOffset Time, double Temperature)[] points) =>
        e2e.Influx.WriteAsync("raw", string.Join('\n', points.Select(p => string.Create(CultureInfo.InvariantCulture, $"{device},device={device} temperature={p.Temperature} {(p.Time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100}"))));

    private HttpClient Basic(string user, string token)
    {
        var client = new HttpClient { BaseAddress = e2e.Host.Http.BaseAddress };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(user + ":" + token)));
        return client;
    }

    private static Task<JsonElement> GetAsync(HttpClient client, string q) => Query(client, HttpMethod.Get, q);

    private static Task<JsonElement> PostAsync(HttpClient client, string q) => Query(client, HttpMethod.Post, q);

    private static async Task<JsonElement> Query(HttpClient client, HttpMethod method, string q, string database = "datacake")
    {
        using HttpResponseMessage response = await Send(client, method, q, database);
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode} for {q}: {body}");
        return JsonElement.Parse(body);
    }

    private static async Task<string> RawAsync(HttpClient client, string q)
    {
        using HttpResponseMessage response = await Send(client, HttpMethod.Get, q, "datacake");
        return await response.Content.ReadAsStringAsync();
    }

    private static Task<HttpResponseMessage> Send(HttpClient client, HttpMethod method, string q, string database)
    {
        if (method == HttpMethod.Get)
        {
            return client.GetAsync($"/query?db={Uri.EscapeDataString(database)}&epoch=ms&q={Uri.EscapeDataString(q)}");
        }

        return client.PostAsync($"/query?db={Uri.EscapeDataString(database)}&epoch=ms", new FormUrlEncodedContent([new("q", q)]));
    }

    private static IEnumerable<JsonElement> Series(JsonElement answer, int statement = 0) =>
        answer.GetProperty("results")[statement] is var result && result.TryGetProperty("series", out JsonElement series)
            ? series.EnumerateArray()
            : result.TryGetProperty("error", out JsonElement error) ? throw new InvalidOperationException(error.GetString()) : [];

    private static IEnumerable<JsonElement> Values(JsonElement answer) => Series(answer).SelectMany(s => s.GetProperty("values").EnumerateArray());

    /// <summary>How the probe itself would appear inside an error message that quotes it (JSON-escaped).</summary>
    private static string Escaped(string probe) => JsonSerializer.Serialize(probe)[1..^1];

    private static string InfluxApi(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
