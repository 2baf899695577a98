using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Net.Http.Headers;
using System.Net;
using System.Text.Json;
using System.Text;
using Datacake.Streams.Api.Export;
using Datacake.Streams.Backups.Transfer;
using Datacake.Streams.Ids;
using Datacake.Streams.Influx.Client;
using Datacake.Streams.Influx.Querying;
using Datacake.Streams.IntegrationTests.Services;
using Xunit.Abstractions;

namespace Datacake.Streams.IntegrationTests.Api.Queries;

/// <summary>
/// <c>GET /v1/workspaces/{id}/export</c> through the real executable: a million points stream out with flat memory and
/// re-import to the same counts; no export ever holds another workspace's or a deleted device's points.
/// </summary>
public sealed class WorkspaceExportTests(ExportTestBed bed, ITestOutputHelper output) : IClassFixture<ExportTestBed>
{
    /// <summary>
    /// The bound on the exporting process's RSS growth while it streams ~90 MB of line protocol. Materialising the
    /// export would need at least the text itself (and several times it as JSON rows and strings); a chunk is ~0.5 MB.
    /// </summary>
    private const long MaxRssGrowthBytes = 100L * 1024 * 1024;

    [Fact]
    public async Task A_million_points_export_with_flat_memory_and_reimport_to_the_same_counts()
    {
        var (owner, home) = await bed.NewUserAsync("owner");
        string cellar = await bed.NewWorkspaceAsync(owner, "Cellar", home);
        var devices = new List<DeviceId>();
        for (int i = 0; i < 20; i++)
        {
            devices.Add(await bed.NewDeviceAsync(owner, i < 15 ? home : cellar, $"Sensor {i}"));
        }

        DeviceId deleted = await bed.NewDeviceAsync(owner, home, "Retired");
        var stranger = await bed.NewUserAsync("stranger");
        DeviceId foreign = await bed.NewDeviceAsync(stranger.Token, stranger.Workspace, "Not yours");

        // Five days back: outside the rollups' refresh look-back, so only these writes change the database.
        DateTimeOffset start = DateTimeOffset.UtcNow.AddDays(-5).AddTicks(-(DateTimeOffset.UtcNow.UtcTicks % TimeSpan.TicksPerSecond));
        var clock = Stopwatch.StartNew();
        await bed.WriteRawAsync(devices, 50_000, start);
        await bed.WriteRawAsync([deleted, foreign], 1_000, start);
        await bed.WriteMetaAsync(devices[0], 1_000, start);
        await bed.WriteMetaAsync(foreign, 100, start);
        TimeSpan writing = clock.Elapsed;
        await bed.DeleteDeviceAsync(owner, deleted);

        SortedDictionary<string, long> source = await bed.CountsAsync(bed.Database);
        Assert.Equal(1_000_000, source.Where(c => c.Key.StartsWith("raw.values.", StringComparison.Ordinal) && c.Key.EndsWith(".temperature", StringComparison.Ordinal) && devices.Any(d => c.Key.Contains(d.ToString(), StringComparison.Ordinal))).Sum(c => c.Value));

        // Export through real Kestrel into a file, sampling the host's resident memory meanwhile.
        string file = Path.Combine(bed.Host.DataDirectory, "export.lp");
        long rssBefore = ProcStatus(bed.Host.ProcessId, "VmRSS");
        long hwmBefore = ProcStatus(bed.Host.ProcessId, "VmHWM");
        long rssPeak = rssBefore;
        using var sampling = new CancellationTokenSource();
        Task sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                rssPeak = Math.Max(rssPeak, ProcStatus(bed.Host.ProcessId, "VmRSS"));
                await Task.Delay(20);
            }
        });
        clock.Restart();
        long bytes;
        using (var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/workspaces/{home}/export"))
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", owner);
            using HttpResponseMessage response = await bed.Host.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
            await using Stream body = await response.Content.ReadAsStreamAsync();
            await using FileStream written = File.Create(file);
            await body.CopyToAsync(written);
            bytes = written.Length;
        }

        TimeSpan exporting = clock.Elapsed;
        await sampling.CancelAsync();
        await sampler;
        long hwmAfter = ProcStatus(bed.Host.ProcessId, "VmHWM");

        // Re-import into a new database from the file, and compare counts per policy, device and field.
        string imported = "imp_" + Guid.NewGuid().ToString("N")[..12];
        ServiceEndpoints endpoints = ServiceEndpoints.Current;
        using var target = new InfluxClient(new InfluxOptions { Url = new Uri(endpoints.InfluxUrl), Database = imported, User = endpoints.InfluxUser, Password = endpoints.InfluxPassword, RequestTimeout = TimeSpan.FromSeconds(60) });
        clock.Restart();
        ImportResult result;
        try
        {
            await using (FileStream read = File.OpenRead(file))
            {
                result = await new LineProtocolImport(target).RunAsync(read, gzip: false, CancellationToken.None);
            }

            TimeSpan importing = clock.Elapsed;
            SortedDictionary<string, long> copy = await bed.CountsAsync(imported);
            var expected = new SortedDictionary<string, long>(
                source.Where(c => devices.Any(d => c.Key.Contains(d.ToString(), StringComparison.Ordinal))).ToDictionary(c => c.Key, c => c.Value),
                StringComparer.Ordinal);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"write 1M points: {writing.TotalSeconds:0.0} s; export: {bytes / 1048576.0:0.0} MiB in {exporting.TotalSeconds:0.0} s; import: {importing.TotalSeconds:0.0} s"));
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"host RSS before {rssBefore / 1048576.0:0.0} MiB, peak during export {rssPeak / 1048576.0:0.0} MiB (+{(rssPeak - rssBefore) / 1048576.0:0.0}); VmHWM {hwmBefore / 1048576.0:0.0} -> {hwmAfter / 1048576.0:0.0} MiB"));

            Assert.True(result.Complete, "the export ended without its # END summary");
            Assert.Equal(result.ExpectedPoints, result.Points);
            Assert.Equal(1_000_000 + 1_000, result.PointsByPolicy["raw"] + result.PointsByPolicy["meta"]);
            Assert.Equal(expected, copy);
            Assert.DoesNotContain(copy.Keys, k => k.Contains(deleted.ToString(), StringComparison.Ordinal) || k.Contains(foreign.ToString(), StringComparison.Ordinal));
            Assert.True(bytes > 50L * 1024 * 1024, $"the export is {bytes} bytes: fewer than the million points need");
            Assert.True(
                rssPeak - rssBefore < MaxRssGrowthBytes && hwmAfter - hwmBefore < MaxRssGrowthBytes,
                string.Create(CultureInfo.InvariantCulture, $"the host's memory grew by {(rssPeak - rssBefore) / 1048576.0:0.0} MiB (VmHWM by {(hwmAfter - hwmBefore) / 1048576.0:0.0} MiB) while exporting {bytes / 1048576.0:0.0} MiB; the bound is {MaxRssGrowthBytes / 1048576} MiB"));

            // Types survive the round trip in every device's measurement: humidity stays an integer, door a boolean.
            InfluxQueryResult types = await target.QueryAsync($"SHOW FIELD KEYS FROM \"{imported}\".\"raw\"./^dev_/", imported);
            Assert.Equal(devices.Select(d => d.ToString()).Order(StringComparer.Ordinal), types.Statements[0].Series.Select(s => s.Name).Distinct().Order(StringComparer.Ordinal));
            var fieldTypes = types.Statements[0].Series
                .SelectMany(s => Enumerable.Range(0, s.Values.Count).Select(r => (Key: s.GetString(r, "fieldKey")!, Type: s.GetString(r, "fieldType"))))
                .GroupBy(f => f.Key, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => Assert.Single(g.Select(f => f.Type).Distinct()), StringComparer.Ordinal);
            Assert.Equal("integer", fieldTypes["humidity"]);
            Assert.Equal("boolean", fieldTypes["door"]);
            Assert.Equal("float", fieldTypes["temperature"]);
        }
        finally
        {
            await target.ExecuteAsync($"DROP DATABASE {InfluxQl.QuoteIdentifier(imported)}", imported);
            File.Delete(file);
        }
    }

    [Fact]
    public async Task An_export_holds_only_its_workspace_tree_and_only_an_owner_or_admin_gets_one()
    {
        var a = await bed.NewUserAsync("a");
        var b = await bed.NewUserAsync("b");
        string aSub = await bed.NewWorkspaceAsync(a.Token, "Greenhouse, \"north\"", a.Workspace);
        DeviceId aHome = await bed.NewDeviceAsync(a.Token, a.Workspace, "Boiler room");
        DeviceId aSubDevice = await bed.NewDeviceAsync(a.Token, aSub, "Tomatoes, row 1");
        DeviceId aDeleted = await bed.NewDeviceAsync(a.Token, a.Workspace, "Old");
        DeviceId bDevice = await bed.NewDeviceAsync(b.Token, b.Workspace, "Secret lab");
        DateTimeOffset start = DateTimeOffset.UtcNow.AddDays(-3);
        await bed.WriteRawAsync([aHome, aSubDevice, aDeleted, bDevice], 10, start);
        await bed.DeleteDeviceAsync(a.Token, aDeleted);

        string viewer = (await bed.Api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/workspaces/{a.Workspace}/tokens", a.Token, new { name = "dashboard", role = "viewer" })).Str("token");
        string admin = (await bed.Api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/workspaces/{a.Workspace}/tokens", a.Token, new { name = "backup job", role = "admin" })).Str("token");

        // Who may export A: its owner and an admin token; nobody else, and the refusals name nothing of A.
        Assert.Equal(HttpStatusCode.Unauthorized, (await bed.Api.GetAsync($"/v1/workspaces/{a.Workspace}/export", null)).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await bed.Api.GetAsync($"/v1/workspaces/{a.Workspace}/export", bed.OperatorToken)).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await bed.Api.GetAsync($"/v1/workspaces/{a.Workspace}/export", viewer)).Status);
        var byB = await bed.Api.GetAsync($"/v1/workspaces/{a.Workspace}/export", b.Token);
        Assert.Equal(HttpStatusCode.NotFound, byB.Status);
        Assert.DoesNotContain(aHome.ToString(), byB.Body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await bed.Api.GetAsync($"/v1/workspaces/ws_nonexistent/export", a.Token)).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await bed.Api.GetAsync($"/v1/workspaces/{a.Workspace}/export?format=xml", a.Token)).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await bed.Api.GetAsync($"/v1/workspaces/{a.Workspace}/export?from=yesterday", a.Token)).Status);

        // The one-device reads (series, last) resolve one device through the sub-workspace's ancestry: same answers.
        var last = await bed.Api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/v1/devices/{aSubDevice}/last", viewer);
        Assert.Equal(49, last.Json.GetProperty("values").GetProperty("humidity").GetProperty("value").GetInt64());
        Assert.Equal("Tomatoes, row 1", last.Json.GetProperty("device").GetProperty("name").GetString());
        Assert.Equal(HttpStatusCode.OK, (await bed.Api.GetAsync($"/v1/devices/{aSubDevice}/series?fields=temperature", a.Token)).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await bed.Api.GetAsync($"/v1/devices/{aSubDevice}/last", b.Token)).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await bed.Api.GetAsync($"/v1/devices/{aSubDevice}/series", b.Token)).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await bed.Api.GetAsync($"/v1/devices/{aDeleted}/last", a.Token)).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await bed.Api.GetAsync($"/v1/devices/{aSubDevice}/last", bed.OperatorToken)).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await bed.Api.GetAsync($"/v1/devices/{aSubDevice}/last", null)).Status);

        // A's export (owner, line protocol): A's two live devices with their names, never B's or the deleted one.
        string lp = (await bed.Api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/v1/workspaces/{a.Workspace}/export", a.Token)).Body;
        Assert.Equal(20, PointLines(lp).Count());
        Assert.All(PointLines(lp), l => Assert.True(l.Contains(aHome.ToString(), StringComparison.Ordinal) || l.Contains(aSubDevice.ToString(), StringComparison.Ordinal), l));
        Assert.Contains("\"Boiler room\"", lp, StringComparison.Ordinal);
        Assert.Contains("Tomatoes, row 1", lp, StringComparison.Ordinal);
        Assert.EndsWith("# END points=20 raw.values=20 meta.meta=0 m1.values=0 h1.values=0\n", lp, StringComparison.Ordinal);
        AssertNothingOf(lp, bDevice, aDeleted, "Secret lab", "Old\"");

        // The admin token's CSV and JSON of A; the sub-workspace's own export holds only its device.
        string csv = (await bed.Api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/v1/workspaces/{a.Workspace}/export?format=csv", admin)).Body;
        string[] rows = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("time,device,device_name,workspace_id,workspace_name,retention_policy,measurement,field,value", rows[0]);
        Assert.Equal(20 * 2 + 2 * 1, rows.Length - 1);
        Assert.Contains(rows, r => r.Contains($",{aSubDevice},\"Tomatoes, row 1\",{aSub},\"Greenhouse, \"\"north\"\"\",raw,values,door,true", StringComparison.Ordinal));
        AssertNothingOf(csv, bDevice, aDeleted, "Secret lab", "Old");

        using JsonDocument json = JsonDocument.Parse((await bed.Api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/v1/workspaces/{aSub}/export?format=json", a.Token)).Body);
        Assert.Equal(aSub, json.RootElement.GetProperty("workspace").GetProperty("id").GetString());
        Assert.Equal([aSubDevice.ToString()], json.RootElement.GetProperty("devices").EnumerateArray().Select(d => d.GetProperty("id").GetString()));
        JsonElement[] points = [.. json.RootElement.GetProperty("points").EnumerateArray()];
        Assert.Equal(10, points.Length);
        Assert.All(points, p => Assert.Equal(aSubDevice.ToString(), p.GetProperty("device").GetString()));
        Assert.Equal(40, points[0].GetProperty("fields").GetProperty("humidity").GetInt64());
        Assert.Equal(10, json.RootElement.GetProperty("summary").GetProperty("points").GetInt64());

        // B's own export is B's device alone; a time range narrows it; gzip on request.
        string bLp = (await bed.Api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/v1/workspaces/{b.Workspace}/export", b.Token)).Body;
        Assert.Equal(10, PointLines(bLp).Count());
        AssertNothingOf(bLp, aHome, aSubDevice, "Boiler room", "Tomatoes");
        long fromMs = start.AddSeconds(5).ToUnixTimeMilliseconds();
        string ranged = (await bed.Api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/v1/workspaces/{b.Workspace}/export?from={fromMs}&to={start.AddSeconds(8).ToUnixTimeMilliseconds()}", b.Token)).Body;
        Assert.Equal(3, PointLines(ranged).Count());

        using var gzipRequest = new HttpRequestMessage(HttpMethod.Get, $"/v1/workspaces/{b.Workspace}/export");
        gzipRequest.Headers.Authorization = new AuthenticationHeaderValue("Bearer", b.Token);
        gzipRequest.Headers.AcceptEncoding.Add(new StringWithQualityHeaderValue("gzip"));
        using HttpResponseMessage gzipped = await bed.Host.Http.SendAsync(gzipRequest);
        Assert.Contains("gzip", gzipped.Content.Headers.ContentEncoding);
        await using var unzip = new GZipStream(await gzipped.Content.ReadAsStreamAsync(), CompressionMode.Decompress);
        using var reader = new StreamReader(unzip, Encoding.UTF8);
        string unzipped = await reader.ReadToEndAsync();
        Assert.Equal(bLp[bLp.IndexOf("# DML", StringComparison.Ordinal)..], unzipped[unzipped.IndexOf("# DML", StringComparison.Ordinal)..]);
    }

    private static IEnumerable<string> PointLines(string lineProtocol) =>
        lineProtocol.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith('#'));

    private static void AssertNothingOf(string export, DeviceId other, DeviceId deleted, string otherName, string deletedName)
    {
        Assert.DoesNotContain(other.ToString(), export, StringComparison.Ordinal);
        Assert.DoesNotContain(deleted.ToString(), export, StringComparison.Ordinal);
        Assert.DoesNotContain(otherName, export, StringComparison.Ordinal);
        Assert.DoesNotContain(deletedName, export, StringComparison.Ordinal);
    }

    /// <summary>A <c>/proc/PID/status</c> line in bytes (the kernel's kB).</summary>
    private static long ProcStatus(int pid, string key)
    {
        foreach (string line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith(key + ":", StringComparison.Ordinal))
            {
                return long.Parse(line[(key.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
            }
        }

        throw new InvalidOperationException($"/proc/{pid}/status has no {key}");
    }
}
