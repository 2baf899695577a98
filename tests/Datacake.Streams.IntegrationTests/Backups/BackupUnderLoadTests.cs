using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net;
using System.Text;
using Datacake.Streams.Access;
using Datacake.Streams.Influx.Client;
using Datacake.Streams.Influx.Querying;
using Datacake.Streams.IntegrationTests.Api.Access;
using Datacake.Streams.IntegrationTests.Host.Hosting;
using Datacake.Streams.IntegrationTests.Services;
using Datacake.Streams.Storage;
using Xunit.Abstractions;
using Datacake.Streams.TestSupport.Reliability;

namespace Datacake.Streams.IntegrationTests.Backups;

/// <summary>
/// A backup taken while devices stream measurements over HTTP into the real executable: the manifest's counts are
/// what InfluxDB holds up to the backup's end, series by series, and every point acknowledged up to that end is in them.
/// Alone in its collection (run after the parallel tests): the load is this test's, not the rest of the suite's.
/// </summary>
[Collection(nameof(BackupUnderLoadTests))]
[CollectionDefinition(nameof(BackupUnderLoadTests), DisableParallelization = true)]
public sealed class BackupUnderLoadTests(ITestOutputHelper output)
{
    private const int Devices = 8;
    private const int PointsPerRequest = 100;

    [Fact]
    [Trait("Reliability", "backup-while-ingesting")]
    public async Task Backup_during_steady_HTTP_ingest_counts_exactly_what_InfluxDB_holds_up_to_its_end()
    {
        var operatorToken = AccessToken.New().Secret;
        var database = "bkload_" + Guid.NewGuid().ToString("N")[..12];
        var folder = Directory.CreateTempSubdirectory("dcs-backup-load-").FullName;
        var endpoints = ServiceEndpoints.Current;
        using var influx = new InfluxClient(new InfluxOptions
        {
            Url = new Uri(endpoints.InfluxUrl),
            Database = database,
            User = endpoints.InfluxUser,
            Password = endpoints.InfluxPassword,
            RequestTimeout = TimeSpan.FromSeconds(60),
        });
        var host = await HostProcess.StartAsync(new Dictionary<string, string>
        {
            ["DCS_OPERATOR_TOKEN"] = operatorToken,
            ["DCS_INFLUX_DATABASE"] = database,
            ["DCS_INFLUX_BACKUP_HOST"] = endpoints.InfluxBackupHost,
            ["DCS_BACKUP_DIR"] = Path.Combine(folder, "site-1"),
            ["DCS_BACKUP_SECONDARY_DIR"] = Path.Combine(folder, "site-2"),
            ["Backup__Enabled"] = "false",
        });
        try
        {
            var api = new ApiClient(host.Http);
            var owner = (await api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, "/v1/users", operatorToken, new { email = "load@example.test" })).Str("token");
            var workspace = (await api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/v1/me", owner)).Str("homeWorkspaceId");
            var senders = new List<Sender>();
            for (var i = 0; i < Devices; i++)
            {
                var device = (await api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/workspaces/{workspace}/devices", owner, new { name = $"meter {i}" })).Str("id");
                var token = (await api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/devices/{device}/tokens", owner)).Str("token");
                senders.Add(new Sender(host.Http, device, token));
            }

            // Each device token reaches ingest through the registry first (401 until then).
            foreach (var sender in senders)
            {
                await sender.WaitUntilAcceptedAsync(TimeSpan.FromSeconds(30));
            }

            // Steady load: every device sends 100 points per request, back to back, stamped "now" (unique per device).
            using var stop = new CancellationTokenSource();
            var clock = Stopwatch.StartNew();
            var streams = senders.Select(s => Task.Run(() => s.RunAsync(stop.Token))).ToList();

            // 7 s of load first, so that points older than the backup's end (its start - 5 s) exist in numbers.
            while (clock.Elapsed < TimeSpan.FromSeconds(7) && streams.All(s => !s.IsCompleted))
            {
                await Task.Delay(50);
            }

            var ackedBefore = senders.Sum(s => s.Acknowledged.Count);
            var backupStarted = clock.Elapsed;
            var backup = await api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, "/v1/ops/backups?wait=true", operatorToken);
            var backupTook = clock.Elapsed - backupStarted;
            var ackedDuring = senders.Sum(s => s.Acknowledged.Count) - ackedBefore;
            await stop.CancelAsync();
            await Task.WhenAll(streams);
            var sent = senders.Sum(s => s.Acknowledged.Count);
            output.WriteLine($"{sent} points acknowledged in {clock.Elapsed.TotalSeconds:0.0} s ({sent / clock.Elapsed.TotalSeconds:0} points/s over {Devices} devices); backup took {backupTook.TotalSeconds:0.00} s, {ackedDuring} points acknowledged meanwhile");
            Assert.True(ackedDuring > 0, "no write was acknowledged while the backup ran: there was no load during it");

            var manifest = backup.Json.GetProperty("manifest");
            var end = manifest.GetProperty("end").GetDateTimeOffset();
            var counted = manifest.GetProperty("counts").GetProperty("raw").GetProperty("values").GetProperty("temperature").GetInt64();
            Assert.True(manifest.GetProperty("countsSettled").GetBoolean(), "the counts moved across the snapshot three times");
            Assert.True(counted > 0, "the manifest counted nothing up to its end");

            // InfluxDB now, series by series, up to the backup's end: the same total as the manifest; no device missing.
            var perSeries = await CountPerDeviceAsync(influx, database, end);
            Assert.Equal(senders.Select(s => s.Device).Order(StringComparer.Ordinal), perSeries.Keys.Order(StringComparer.Ordinal));
            Assert.Equal(counted, perSeries.Values.Sum());

            // Every point acknowledged with a time up to the end is in InfluxDB and so in the manifest: nothing lost.
            foreach (var sender in senders)
            {
                var acknowledgedUpToEnd = sender.Acknowledged.Count(t => t <= end);
                Assert.True(acknowledgedUpToEnd > 0, $"{sender.Device}: no acknowledged point up to the backup's end");
                Assert.Equal(acknowledgedUpToEnd, perSeries[sender.Device]);
            }

            // And the backup restores to exactly those counts (the API compares the restore with the manifest).
            var id = manifest.GetProperty("id").GetString()!;
            var restored = await api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Post, $"/v1/ops/backups/{id}/restore", operatorToken, new { target = "new" });
            var restoredDatabase = restored.Str("database");
            Assert.Equal(counted, (await CountPerDeviceAsync(influx, restoredDatabase, end)).Values.Sum());
            await influx.ExecuteAsync($"DROP DATABASE {InfluxQl.QuoteIdentifier(restoredDatabase)}");
            ReliabilityRecorder.Record("backup-while-ingesting", new ReliabilityNumbers
            {
                Acknowledged = sent,
                Stored = counted,
                Lost = 0,
                LatencyMs = Math.Round(backupTook.TotalMilliseconds),
                Note = $"stored = points up to the backup's end, restored exactly; latency = the backup's duration, {ackedDuring} points acknowledged meanwhile",
            });
        }
        finally
        {
            await host.DisposeAsync();
            await influx.ExecuteAsync($"DROP DATABASE {InfluxQl.QuoteIdentifier(database)}");
            Directory.Delete(folder, recursive: true);
            Directory.Delete(host.DataDirectory, recursive: true);
        }
    }

    private static async Task<Dictionary<string, long>> CountPerDeviceAsync(InfluxClient influx, string database, DateTimeOffset end)
    {
        var endNs = (end.ToUnixTimeMilliseconds() * 1_000_000L).ToString(CultureInfo.InvariantCulture);
        var result = await influx.QueryAsync(
            $"SELECT count(temperature) FROM {InfluxQl.QuoteIdentifier(database)}.\"raw\".{StorageLayout.AllDevicesPattern} WHERE time <= {endNs} GROUP BY device", database);
        return result.Statements[0].Series.ToDictionary(s => s.Tags["device"], s => s.GetInt64(0, "count"), StringComparer.Ordinal);
    }

    /// <summary>One device streaming measurements; remembers the time of every point the host acknowledged (202).</summary>
    private sealed class Sender(HttpClient http, string device, string token)
    {
        private long _lastMs;

        public string Device => device;

        public ConcurrentBag<DateTimeOffset> Acknowledged { get; } = [];

        public async Task WaitUntilAcceptedAsync(TimeSpan deadline)
        {
            var until = DateTime.UtcNow + deadline;
            while (await SendAsync(1) == HttpStatusCode.Unauthorized)
            {
                Assert.True(DateTime.UtcNow < until, $"{device}: the token was not accepted within {deadline}");
                await Task.Delay(50);
            }
        }

        public async Task RunAsync(CancellationToken stop)
        {
            while (!stop.IsCancellationRequested)
            {
                var status = await SendAsync(PointsPerRequest);
                Assert.True(status == HttpStatusCode.Accepted, $"{device}: ingest answered {(int)status} under load");
            }
        }

        private async Task<HttpStatusCode> SendAsync(int points)
        {
            var times = new DateTimeOffset[points];
            var body = new StringBuilder("[");
            for (var i = 0; i < times.Length; i++)
            {
                // Unique per device, so that no point overwrites another (same series, same timestamp).
                _lastMs = Math.Max(_lastMs + 1, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
                times[i] = DateTimeOffset.FromUnixTimeMilliseconds(_lastMs);
                body.Append(i == 0 ? "" : ",").Append("{\"time\":\"").Append(times[i].ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture))
                    .Append("\",\"values\":{\"temperature\":").Append((_lastMs % 1000).ToString(CultureInfo.InvariantCulture)).Append("}}");
            }

            using var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/devices/{device}/measurements")
            {
                Content = new StringContent(body.Append(']').ToString(), Encoding.UTF8, "application/json"),
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var response = await http.SendAsync(request, CancellationToken.None);
            if (response.StatusCode == HttpStatusCode.Accepted)
            {
                foreach (var time in times)
                {
                    Acknowledged.Add(time);
                }
            }

            return response.StatusCode;
        }
    }
}
