using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text;
using Datacake.Streams.Access;
using Datacake.Streams.Backups;
using Datacake.Streams.Ids;
using Datacake.Streams.Influx.Client;
using Datacake.Streams.IntegrationTests.Api.Access;
using Datacake.Streams.IntegrationTests.Host.Hosting;
using Datacake.Streams.IntegrationTests.Services;
using Datacake.Streams.Storage;
using Xunit.Abstractions;

namespace Datacake.Streams.IntegrationTests.Backups;

/// <summary>
/// ops/failover-drill.sh for real, on a small data set: a primary (host + its own influxd) takes a backup to the
/// second site, keeps acknowledging writes, is stopped by the drill; the drill brings up a standby influxd from the
/// second site alone, starts the host against it, and clients are served by the standby.
/// </summary>
public sealed class FailoverDrillTests(ITestOutputHelper output)
{
    private const int BeforeBackup = 120;
    private const int AfterBackup = 40;

    [Fact]
    [Trait("Reliability", "failover-drill")]
    public async Task Drill_stops_the_primary_brings_up_the_standby_from_the_second_site_and_clients_are_served_by_it()
    {
        var folder = Directory.CreateTempSubdirectory("dcs-drill-test-").FullName;
        var site2 = Path.Combine(folder, "site-2");
        var database = "drill_" + Guid.NewGuid().ToString("N")[..12];

        // Primary and standby share the keys (docs/OPERATIONS.md): the metadata store holds webhook secrets sealed
        // with the registry key, and the operator token is the operator's, not the machine's.
        var shared = new Dictionary<string, string>
        {
            ["DCS_OPERATOR_TOKEN"] = AccessToken.New().Secret,
            ["DCS_INFLUX_DATABASE"] = database,
            ["Backup__Enabled"] = "false",
            ["Secrets__AdapterKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            ["Secrets__RegistryKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
        };
        await using var primaryInflux = await PrivateInfluxd.StartAsync(authEnabled: false);
        await using var primary = await HostProcess.StartAsync(new Dictionary<string, string>(shared)
        {
            ["DCS_INFLUX_URL"] = primaryInflux.Url,
            ["DCS_INFLUX_BACKUP_HOST"] = primaryInflux.BackupHost,
            ["DCS_BACKUP_DIR"] = Path.Combine(folder, "site-1"),
            ["DCS_BACKUP_SECONDARY_DIR"] = site2,
        });
        var api = new ApiClient(primary.Http);
        var owner = (await api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, "/v1/users", shared["DCS_OPERATOR_TOKEN"], new { email = "drill@example.test" })).Str("token");
        var workspace = (await api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/v1/me", owner)).Str("homeWorkspaceId");
        var device = (await api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/workspaces/{workspace}/devices", owner, new { name = "Pump 7" })).Str("id");
        var deviceToken = (await api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/devices/{device}/tokens", owner)).Str("token");

        // 120 points 100 ms apart, ending ~18 s before now (before the backup's counted end, start - 5 s), then the
        // backup (to site 1 and the second site).
        var t0 = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.AddSeconds(-30).ToUnixTimeMilliseconds());
        for (var batch = 0; batch < BeforeBackup / 20; batch++)
        {
            await SendAsync(primary.Http, device, deviceToken, Entries(t0, batch * 20, 20));
        }

        using var influx = new InfluxClient(new InfluxOptions { Url = new Uri(primaryInflux.Url), Database = database, MaxRetries = 1 });
        await UntilAsync(async () => await CountAsync(influx, database) == BeforeBackup, "the primary's influxd holds the 120 points");
        var backup = await api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, "/v1/ops/backups?wait=true", shared["DCS_OPERATOR_TOKEN"]);
        var manifest = backup.Json.GetProperty("manifest");
        var backupId = manifest.GetProperty("id").GetString()!;
        var backupEnd = manifest.GetProperty("end").GetDateTimeOffset();
        Assert.True(manifest.GetProperty("metadataStore").GetBoolean());
        Assert.Equal(BeforeBackup, manifest.GetProperty("counts").GetProperty("raw").GetProperty("values").GetProperty("temperature").GetInt64());

        // 40 more points, acknowledged by the primary after the backup: the failover loses them (the RPO says so).
        for (var batch = 0; batch < AfterBackup / 20; batch++)
        {
            await SendAsync(primary.Http, device, deviceToken, Entries(t0, BeforeBackup + (batch * 20), 20));
        }

        var lastAck = DateTimeOffset.UtcNow;
        var probeToken = Path.Combine(folder, "probe.token");
        await File.WriteAllTextAsync(probeToken, owner);

        var site2Before = Directory.GetFileSystemEntries(site2).Order(StringComparer.Ordinal).ToArray();
        var drill = await DcsCli.WithEnvironmentAsync(
            new Dictionary<string, string>(shared)
            {
                ["DOTNET_ENVIRONMENT"] = "Production",
                ["Ingest__Mqtt__PlainEndpoint"] = $"127.0.0.1:{TestPorts.Free()}",

                // The standby's configuration as an operator would copy it from the primary: backups on, to the
                // second site. The drill must not let it write into the site it is restored from.
                ["Backup__Enabled"] = "true",
                ["DCS_BACKUP_DIR"] = Path.Combine(folder, "site-standby"),
                ["DCS_BACKUP_SECONDARY_DIR"] = site2,
            },
            TimeSpan.FromMinutes(3),
            [
                "bash", Path.Combine(DcsCli.RepositoryRoot, "ops", "failover-drill.sh"),
                "--secondary", site2,
                "--primary-pid", primary.ProcessId.ToString(CultureInfo.InvariantCulture),
                "--primary-pid", primaryInflux.ProcessId.ToString(CultureInfo.InvariantCulture),
                "--last-ack", Unix(lastAck),
                "--host-cmd", $"dotnet {DcsCli.HostDll}",
                "--probe", $"/v1/devices/{device}/last",
                "--probe-token-file", probeToken,
                "--dcs", $"dotnet {DcsCli.Dll}",
                "--keep",
            ]);
        output.WriteLine(drill.Output);
        var facts = DcsCli.Facts(drill.Output);
        try
        {
            Assert.True(drill.ExitCode == 0, $"drill exited {drill.ExitCode}\n{drill.Output}\n{drill.Error}");
            Assert.Equal("ok", facts["result"]);

            // The primary is down: host and influxd.
            Assert.True(primary.HasExited, "the primary host still runs");
            Assert.False(await primaryInflux.AnswersAsync(), "the primary influxd still answers");

            // The standby came from the newest backup of the second site, verified.
            Assert.Equal(backupId, facts["backup"]);
            Assert.Equal(backupId, facts["metadata_backup"]);
            Assert.Equal(database, facts["database"]);
            Assert.Equal("ok", facts["checksums"]);
            Assert.Equal("ok", facts["counts"]);
            Assert.Equal(BeforeBackup.ToString(CultureInfo.InvariantCulture), facts["points.raw.values"]);

            // RPO: the last acknowledged write to the newest restored point (the 120th); RTO: stop to serving.
            var newest = t0.AddMilliseconds((BeforeBackup - 1) * 100);
            Assert.Equal(newest, DateTimeOffset.Parse(facts["newest_point"], CultureInfo.InvariantCulture));
            Assert.Equal("last-ack", facts["rpo_reference"]);
            var rpo = Seconds(facts["rpo_seconds"]);
            Assert.InRange(rpo, (lastAck - newest).TotalSeconds - 0.002, (lastAck - newest).TotalSeconds + 0.002);
            Assert.InRange(rpo, 0.001, 120);
            var rto = Seconds(facts["rto_seconds"]);
            Assert.InRange(rto, Seconds(facts["restore_seconds"]), 120);
            Assert.InRange(Seconds(facts["rpo_backup_end_seconds"]), (lastAck - backupEnd).TotalSeconds - 0.002, (lastAck - backupEnd).TotalSeconds + 0.002);

            // Repointed: the owner reads through the standby exactly the points of the backup, with their values.
            using var standby = new HttpClient { BaseAddress = new Uri(facts["standby_url"]) };
            var standbyApi = new ApiClient(standby);
            var series = await SeriesAsync(standbyApi, device, owner, t0);
            Assert.Equal(Enumerable.Range(0, BeforeBackup).Select(Temperature), series);

            // And a device writes to the standby and is read back from it.
            await SendAsync(standby, device, deviceToken, Entries(t0, 500, 1));
            var after = await UntilAsync(() => SeriesAsync(standbyApi, device, owner, t0), s => s.Count == BeforeBackup + 1, "the standby processes a new write");
            Assert.Equal(Temperature(500), after[^1]);

            // The standby took no backup into the site it came from (without --standby-secondary it takes none).
            Assert.Equal("off", facts["standby_backups"]);
            Assert.Equal(site2Before, Directory.GetFileSystemEntries(site2).Order(StringComparer.Ordinal).ToArray());
            Assert.False(Directory.Exists(Path.Combine(folder, "site-standby")) && Directory.EnumerateFileSystemEntries(Path.Combine(folder, "site-standby")).Any(), "the standby took a scheduled backup");
        }
        finally
        {
            await StopStandbyAsync(facts);
            Directory.Delete(folder, recursive: true);
            if (primary.HasExited)
            {
                Directory.Delete(primary.DataDirectory, recursive: true);
            }
        }
    }

    [Fact]
    [Trait("Reliability", "failover-drill")]
    public async Task Drill_restore_only_measures_rpo_to_the_primarys_newest_point_and_fails_with_exit_6_on_a_damaged_archive()
    {
        await using var bed = await BackupTestBed.CreateAsync();
        var t0 = DateTimeOffset.UtcNow.AddMinutes(-15).ToUnixTimeMilliseconds() * 1_000_000L;
        var lines = new StringBuilder();
        for (var i = 0; i < 300; i++)
        {
            lines.Append(BackupTestBed.LineOf(DeviceId.New().ToString())).Append(" temperature=").Append(i).Append(' ').Append(t0 + (i * 1_000_000_000L)).Append('\n');
        }

        await bed.WriteAsync("raw", lines.ToString());
        await bed.Service.TakeAsync(new BackupRequest(), CancellationToken.None);
        await bed.WriteAsync("raw", lines.ToString().Replace("temperature=", "humidity=", StringComparison.Ordinal));
        await bed.WriteAsync("meta", $"{BackupTestBed.LineOf(DeviceId.New().ToString())} rssi=-90 {t0}\n");
        var last = await bed.Service.TakeAsync(new BackupRequest(), CancellationToken.None);
        Assert.Equal(BackupKind.Incremental, last.Kind);

        // A point the primary took after the last backup: 101 s newer than the newest backed-up one, the RPO.
        await bed.WriteAsync("raw", $"{BackupTestBed.LineOf(DeviceId.New().ToString())} temperature=1 {t0 + (400 * 1_000_000_000L)}\n");

        var endpoints = ServiceEndpoints.Current;
        var drill = await DcsCli.WithEnvironmentAsync(
            new Dictionary<string, string> { ["DCS_DRILL_PRIMARY_PASSWORD"] = endpoints.InfluxPassword },
            TimeSpan.FromSeconds(90),
            [
                "bash", Path.Combine(DcsCli.RepositoryRoot, "ops", "failover-drill.sh"), "--secondary", bed.Options.SecondaryDirectory!, "--dcs", $"dotnet {DcsCli.Dll}",
                "--primary-url", endpoints.InfluxUrl, "--primary-user", endpoints.InfluxUser,
            ]);
        var facts = DcsCli.Facts(drill.Output);
        Assert.True(drill.ExitCode == 0, $"drill exited {drill.ExitCode}\n{drill.Output}\n{drill.Error}");
        Assert.Equal(last.Id, facts["backup"]);
        Assert.Equal($"{last.BaseId},{last.Id}", facts["chain"]);
        Assert.Equal("ok", facts["counts"]);
        Assert.Equal("300", facts["points.raw.values"]);
        Assert.Equal("1", facts["points.meta.meta"]);
        Assert.Equal("primary-newest-point", facts["rpo_reference"]);
        Assert.InRange(Seconds(facts["rpo_seconds"]), 100.999, 101.001);
        Assert.InRange(Seconds(facts["rto_seconds"]), 0.001, 60);
        Assert.False(facts.ContainsKey("standby_host_pid"), "no host was asked for");
        Assert.False(Directory.Exists(facts["standby_work"]), "the standby's folder is left behind without --keep");

        // A damaged archive on the second site fails the drill with the verification exit code, naming the file.
        var shard = last.Files.First(f => f.Path.EndsWith(".tar.gz", StringComparison.Ordinal));
        await File.AppendAllTextAsync(Path.Combine(bed.Options.SecondaryDirectory!, last.Id, shard.Path), "x");
        var damaged = await DcsCli.WithEnvironmentAsync(
            new Dictionary<string, string>(),
            TimeSpan.FromSeconds(90),
            ["bash", Path.Combine(DcsCli.RepositoryRoot, "ops", "failover-drill.sh"), "--secondary", bed.Options.SecondaryDirectory!, "--dcs", $"dotnet {DcsCli.Dll}"]);
        Assert.True(damaged.ExitCode == 6, $"drill exited {damaged.ExitCode}\n{damaged.Output}\n{damaged.Error}");
        Assert.Equal("failed", DcsCli.Facts(damaged.Output)["result"]);
        Assert.Contains(shard.Path, damaged.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("rto_seconds=", damaged.Output, StringComparison.Ordinal);
    }

    private static double Temperature(int n) => 20 + (n * 0.5);

    /// <summary>Entries n = from .. from+count-1 at t0 + n * 100 ms, temperature 20 + n/2.</summary>
    private static string Entries(DateTimeOffset t0, int from, int count) =>
        "[" + string.Join(',', Enumerable.Range(from, count).Select(n =>
            $"{{\"time\":\"{t0.AddMilliseconds(n * 100):yyyy-MM-dd'T'HH:mm:ss.fff'Z'}\",\"values\":{{\"temperature\":{Temperature(n).ToString(CultureInfo.InvariantCulture)}}}}}")) + "]";

    private static async Task SendAsync(HttpClient http, string device, string token, string body)
    {
        // The first write waits for the device token to reach ingest through the registry.
        await UntilAsync(
            async () =>
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/devices/{device}/measurements") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
                using var response = await http.SendAsync(request);
                return response.StatusCode == HttpStatusCode.Accepted;
            },
            $"POST /v1/devices/{device}/measurements answers 202");
    }

    private static async Task<List<double>> SeriesAsync(ApiClient api, string device, string token, DateTimeOffset t0)
    {
        var from = Uri.EscapeDataString(t0.AddMinutes(-1).ToString("O", CultureInfo.InvariantCulture));
        var to = Uri.EscapeDataString(t0.AddMinutes(5).ToString("O", CultureInfo.InvariantCulture));
        var answer = await api.GetAsync($"/v1/devices/{device}/series?fields=temperature&from={from}&to={to}", token);
        if (answer.Status != HttpStatusCode.OK)
        {
            return [];
        }

        return [.. answer.Json.GetProperty("series").EnumerateArray().SelectMany(s => s.GetProperty("points").EnumerateArray())
            .Select(p => p.GetProperty("values").GetProperty("temperature"))
            .Where(v => v.ValueKind == JsonValueKind.Number)
            .Select(v => v.GetDouble())];
    }

    private static async Task<long> CountAsync(InfluxClient influx, string database)
    {
        var result = await influx.QueryAsync($"SELECT count(temperature) FROM \"{database}\".\"raw\".{StorageLayout.AllDevicesPattern}", database);
        return result.Statements[0].Series.Where(s => s.Values.Count > 0).Sum(s => s.GetInt64(0, "count"));
    }

    private static async Task UntilAsync(Func<Task<bool>> condition, string what)
    {
        await UntilAsync(condition, done => done, what);
    }

    private static async Task<T> UntilAsync<T>(Func<Task<T>> attempt, Func<T, bool> done, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var result = await attempt();
            if (done(result))
            {
                return result;
            }

            Assert.True(DateTime.UtcNow < deadline, $"not within 60 s: {what}");
            await Task.Delay(50);
        }
    }

    /// <summary>The standby the drill left running (--keep): its host and influxd, by the pids it printed.</summary>
    private static async Task StopStandbyAsync(IReadOnlyDictionary<string, string> facts)
    {
        foreach (var (key, name) in new[] { ("standby_host_pid", "dotnet"), ("standby_influxd_pid", "influxd") })
        {
            if (facts.TryGetValue(key, out var text) && int.TryParse(text, CultureInfo.InvariantCulture, out var pid))
            {
                await StrayProcess.KillAsync(pid, name, TimeSpan.FromSeconds(10));
            }
        }

        if (facts.TryGetValue("standby_work", out var work) && Directory.Exists(work))
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static string Unix(DateTimeOffset time) =>
        ((time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / (decimal)TimeSpan.TicksPerSecond).ToString("0.0000000", CultureInfo.InvariantCulture);

    private static double Seconds(string text) => double.Parse(text, CultureInfo.InvariantCulture);

}
