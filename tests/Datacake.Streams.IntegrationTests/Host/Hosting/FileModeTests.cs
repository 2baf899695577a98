using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Datacake.Streams.Access;
using Datacake.Streams.IntegrationTests.Api.Access;
using Datacake.Streams.IntegrationTests.EndToEnd;
using Datacake.Streams.IntegrationTests.Services;

namespace Datacake.Streams.IntegrationTests.Host.Hosting;

/// <summary>
/// Issue 17, files: after the real executable has run (HTTPS with its self-signed certificate, records through the log,
/// processing, the metadata store, a backup with the metadata snapshot and its second-site copy), every file it wrote
/// under the data folder, the backups and the second site is 0600 or stricter and every folder 0700, as <c>stat</c> sees
/// them. The sites do not exist before: the host creates them, parents included.
/// </summary>
public sealed class FileModeTests
{
    private const UnixFileMode OwnerReadWrite = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode OwnerOnlyFolder = OwnerReadWrite | UnixFileMode.UserExecute;

    [Fact]
    public async Task Every_file_the_host_writes_is_0600_and_every_folder_0700_in_the_data_folder_the_backups_and_the_second_site()
    {
        var folder = Directory.CreateTempSubdirectory("dcs-modes-test-").FullName;
        var data = Directory.CreateDirectory(Path.Combine(folder, "data"), OwnerOnlyFolder).FullName;
        var site1 = Path.Combine(folder, "sites", "one", "backups");
        var site2 = Path.Combine(folder, "sites", "two", "backups");
        var operatorToken = AccessToken.New().Secret;
        try
        {
            await using var influxd = await PrivateInfluxd.StartAsync(authEnabled: false);
            await using (var host = await HostProcess.StartAsync(
                new Dictionary<string, string>
                {
                    ["DCS_OPERATOR_TOKEN"] = operatorToken,
                    ["DCS_INFLUX_URL"] = influxd.Url,
                    ["DCS_INFLUX_DATABASE"] = "modes_" + Guid.NewGuid().ToString("N")[..12],
                    ["DCS_INFLUX_BACKUP_HOST"] = influxd.BackupHost,
                    ["DCS_BACKUP_DIR"] = site1,
                    ["DCS_BACKUP_SECONDARY_DIR"] = site2,
                    ["Backup__Enabled"] = "false",
                    ["DCS_HTTPS_URL"] = $"https://127.0.0.1:{TestPorts.Free()}",
                    ["Ingest__Mqtt__TlsEndpoint"] = $"127.0.0.1:{TestPorts.Free()}",
                    ["Secrets__AdapterKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
                    ["Secrets__RegistryKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
                },
                data))
            {
                var api = new ApiClient(host.Http);
                var owner = (await api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, "/v1/users", operatorToken, new { email = "modes@example.test" })).Str("token");
                var workspace = (await api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/v1/me", owner)).Str("homeWorkspaceId");
                var device = (await api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/workspaces/{workspace}/devices", owner, new { name = "Pump 7" })).Str("id");
                var deviceToken = (await api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/devices/{device}/tokens", owner)).Str("token");

                // Points through ingest, the log and processing into influxd, ending before the backup's counted end.
                var t0 = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.AddSeconds(-30).ToUnixTimeMilliseconds());
                await Until.Async(() => SendAsync(host.Http, device, deviceToken, t0), accepted => accepted, $"POST /v1/devices/{device}/measurements answers 202");
                await Until.Async(() => CountAsync(api, device, owner, t0), count => count == 20, "the 20 points are processed into influxd");

                var backup = await api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, "/v1/ops/backups?wait=true", operatorToken);
                var id = backup.Json.GetProperty("manifest").GetProperty("id").GetString()!;
                Assert.True(backup.Json.GetProperty("manifest").GetProperty("metadataStore").GetBoolean());
                Assert.True(Directory.Exists(Path.Combine(site2, id)), "the backup was not copied to the second site");
            }

            // What the host must have written, so that the walk below cannot pass on an empty folder.
            Assert.True(File.Exists(Path.Combine(data, "certs", "self-signed.pfx")), "no self-signed certificate was written");
            Assert.True(Directory.EnumerateFiles(site2, "*.db", SearchOption.AllDirectories).Any(), "no metadata snapshot on the second site");
            Assert.True(Directory.EnumerateFiles(site1, "*.tar.gz", SearchOption.AllDirectories).Any(), "no influxd shard archive in the backup");

            var offenders = new List<string>();
            var checkedEntries = 0;
            foreach (var root in new[] { data, site1, site2 })
            {
                foreach (var entry in Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories).Prepend(root))
                {
                    checkedEntries++;
                    var mode = File.GetUnixFileMode(entry);
                    if (Directory.Exists(entry) ? mode != OwnerOnlyFolder : (mode & ~OwnerReadWrite) != 0)
                    {
                        offenders.Add($"{Convert.ToString((int)mode, 8).PadLeft(4, '0')} {entry}");
                    }
                }
            }

            // The parents the host created for the sites are owner-only too.
            foreach (var parent in new[] { Path.Combine(folder, "sites"), Path.GetDirectoryName(site1)!, Path.GetDirectoryName(site2)! })
            {
                var mode = File.GetUnixFileMode(parent);
                if (mode != OwnerOnlyFolder)
                {
                    offenders.Add($"{Convert.ToString((int)mode, 8).PadLeft(4, '0')} {parent}");
                }
            }

            Assert.True(checkedEntries > 30, $"only {checkedEntries} entries were written: the walk proves little");
            Assert.True(offenders.Count == 0, $"{offenders.Count} of {checkedEntries} entries are not 0600 files / 0700 folders:\n{string.Join('\n', offenders)}");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static async Task<bool> SendAsync(HttpClient http, string device, string token, DateTimeOffset t0)
    {
        var body = "[" + string.Join(',', Enumerable.Range(0, 20).Select(n =>
            $"{{\"time\":\"{t0.AddMilliseconds(n * 100):yyyy-MM-dd'T'HH:mm:ss.fff'Z'}\",\"values\":{{\"temperature\":{n.ToString(CultureInfo.InvariantCulture)}}}}}")) + "]";
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/devices/{device}/measurements") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await http.SendAsync(request);
        return response.StatusCode == HttpStatusCode.Accepted;
    }

    private static async Task<int> CountAsync(ApiClient api, string device, string token, DateTimeOffset t0)
    {
        var from = Uri.EscapeDataString(t0.AddMinutes(-1).ToString("O", CultureInfo.InvariantCulture));
        var to = Uri.EscapeDataString(t0.AddMinutes(5).ToString("O", CultureInfo.InvariantCulture));
        var answer = await api.GetAsync($"/v1/devices/{device}/series?fields=temperature&from={from}&to={to}", token);
        return answer.Status != HttpStatusCode.OK
            ? 0
            : answer.Json.GetProperty("series").EnumerateArray().Sum(s => s.GetProperty("points").GetArrayLength());
    }

}
