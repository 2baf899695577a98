using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Datacake.Streams.Access;
using Datacake.Streams.IntegrationTests.Api.Access;
using Datacake.Streams.IntegrationTests.EndToEnd;
using Datacake.Streams.IntegrationTests.Services;
using Datacake.Streams.TestSupport.Reliability;

namespace Datacake.Streams.IntegrationTests.Host.Hosting;

/// <summary>
/// Issue 17, an allow-list of what a record may carry: a TTS, ChirpStack, Helium and Particle body full of locations
/// (47.123456 / 8.654321), names, tenant, gateway and hotspot ids and e-mail addresses, every one spelled with
/// "marker", goes through the real executable's webhooks, processing and a backup. Then every byte the host wrote (its
/// data folder: log segments, processing state, metadata store), everything it printed, both backup sites (gzip
/// archives opened), influxd's own folder and everything InfluxDB answers about the database (every series, tag,
/// field key and value of every retention policy) is scanned: no marker anywhere, while the uplinks' values are there.
/// The same scan finds none of the secrets the test issued (operator, user, webhook and device tokens, webhook signing
/// secrets as text and as key bytes): issue 19's token hygiene.
/// </summary>
/// <remarks>
/// influxd compresses what it stores (snappy WAL and string blocks, Gorilla floats), so its folder's scan finds a
/// marker only when it is stored as text; the queries are what prove InfluxDB holds none: the bodies' values are
/// numbers, and no string field may exist at all.
/// </remarks>
public sealed class RecordAllowListTests
{
    // ChirpStack reads the event type from the query; the others take the body alone.
    private static readonly (string Kind, string Fixture, string DevEui, string? ParticleId, string Query, double Temperature, double? Rssi)[] _networks =
    [
        ("tts", "tts-uplink-private.json", "70B3D57ED0051717", null, "", 21.25, -71),
        ("chirpstack", "chirpstack-up-private.json", "A840410001811717", null, "?event=up", 22.5, -63),
        ("helium", "helium-uplink-private.json", "6081F9A3B5D71717", null, "", 23.75, -88),
        ("particle", "particle-event-private.json", "", "e00fce68a1b2c3d4e5f61717", "", 24.125, null),
    ];

    // Compared ignoring case. The owner's e-mail is the metadata store's to keep, so "@" is not a marker here;
    // "jane.doe" is the bodies' e-mail.
    private static readonly string[] _markers = ["marker", "47.123456", "8.654321", "47.223456", "47.323456", "jane.doe"];

    [Fact]
    [Trait("Reliability", "token-hygiene")]
    public async Task No_location_name_or_id_of_a_webhook_body_reaches_the_log_state_output_backups_or_influxdb()
    {
        var folder = Directory.CreateTempSubdirectory("dcs-allow-test-").FullName;
        var data = Directory.CreateDirectory(Path.Combine(folder, "data"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute).FullName;
        var site1 = Path.Combine(folder, "backups-1");
        var site2 = Path.Combine(folder, "backups-2");
        var database = "allow_" + Guid.NewGuid().ToString("N")[..12];
        var operatorToken = AccessToken.New().Secret;
        try
        {
            await using var influxd = await PrivateInfluxd.StartAsync(authEnabled: false);
            string output;
            var stored = new List<string>();
            var secrets = new List<string>();
            var signingKeys = new List<byte[]>();
            await using (var host = await HostProcess.StartAsync(
                new Dictionary<string, string>
                {
                    ["DCS_OPERATOR_TOKEN"] = operatorToken,
                    ["DCS_INFLUX_URL"] = influxd.Url,
                    ["DCS_INFLUX_DATABASE"] = database,
                    ["DCS_INFLUX_BACKUP_HOST"] = influxd.BackupHost,
                    ["DCS_BACKUP_DIR"] = site1,
                    ["DCS_BACKUP_SECONDARY_DIR"] = site2,
                    ["Backup__Enabled"] = "false",
                    ["Secrets__AdapterKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
                    ["Secrets__RegistryKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),

                    // As much of our own logging as there is: a body's text in any log line would show.
                    ["Logging__LogLevel__Datacake"] = "Debug",
                },
                data))
            {
                var api = new ApiClient(host.Http);
                var owner = (await api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, "/v1/users", operatorToken, new { email = "owner@example.test" })).Str("token");
                var workspace = (await api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/v1/me", owner)).Str("homeWorkspaceId");
                secrets.AddRange([operatorToken, owner]);

                // Network times of now: InfluxDB's retention keeps them, and the series query below finds them.
                var t0 = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.AddSeconds(-30).ToUnixTimeMilliseconds());
                var devices = new List<(string Id, double Temperature, double? Rssi)>();
                foreach (var network in _networks)
                {
                    var device = (await api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/workspaces/{workspace}/devices", owner,
                        network.ParticleId is { } particle ? new { name = "sensor " + network.Kind, particleId = particle } : new { name = "sensor " + network.Kind, devEui = network.DevEui })).Str("id");
                    var webhook = await api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/workspaces/{workspace}/webhooks", owner,
                        new { kind = network.Kind, devices = new[] { device }, signed = true });
                    var signed = new TestWebhook(webhook.Str("id"), webhook.Str("token"), webhook.Str("secret"));
                    secrets.AddRange([signed.Token, signed.Secret!]);
                    signingKeys.Add(SigningKey(signed.Secret!));
                    var body = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Payloads", "Networks", "Fixtures", network.Fixture))
                        .Replace("2026-01-02T03:04:05.678Z", t0.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture), StringComparison.Ordinal)
                        .Replace("1767323045678", t0.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);
                    Assert.Contains("Marker", body, StringComparison.Ordinal);
                    await Senders.AcceptedAsync(() => Senders.WebhookAsync(host.Http, signed, body, network.Query), $"the {network.Kind} webhook");

                    // A rotation issues a second token and signing secret; the same uplink signed with them (a duplicate
                    // to processing) takes them through ingest too.
                    var rotated = await api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Post, $"/v1/webhooks/{signed.Id}/rotate", owner, new { token = true, secret = true, overlapSeconds = 60 });
                    var next = signed with { Token = rotated.Str("token"), Secret = rotated.Str("secret") };
                    secrets.AddRange([next.Token, next.Secret!]);
                    signingKeys.Add(SigningKey(next.Secret!));
                    await Senders.AcceptedAsync(() => Senders.WebhookAsync(host.Http, next, body, network.Query), $"the {network.Kind} webhook after its rotation");
                    devices.Add((device, network.Temperature, network.Rssi));
                }

                // A device token and a write with it: one more issued secret that travels (as its fingerprint) through the log.
                var deviceToken = await api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/devices/{devices[0].Id}/tokens", owner);
                secrets.Add(deviceToken.Str("token"));
                await Senders.AcceptedAsync(
                    () => Senders.MeasurementAsync(host.Http, new TestDevice(devices[0].Id, deviceToken.Str("id"), deviceToken.Str("token")), "{\"level\":3}"),
                    "a device token's write");

                // The uplinks' values are stored: values through the API, radio quality in the meta policy.
                foreach (var (device, temperature, _) in devices)
                {
                    await Until.Async(() => TemperatureAsync(api, device, owner, t0), t => t == temperature, $"{device}'s temperature {temperature} is stored");
                }

                using var influx = new HttpClient { BaseAddress = new Uri(influxd.Url), Timeout = TimeSpan.FromSeconds(30) };
                foreach (var (device, _, rssi) in devices.Where(d => d.Rssi is not null))
                {
                    var meta = await Until.Async(
                        () => QueryAsync(influx, database, $"SELECT rssi FROM \"{database}\".\"meta\".\"{device}\""),
                        answer => answer.Contains(string.Create(CultureInfo.InvariantCulture, $",{rssi}]"), StringComparison.Ordinal),
                        $"{device}'s rssi {rssi} is stored");
                    Assert.Contains(device, meta, StringComparison.Ordinal);
                }

                var backup = await api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, "/v1/ops/backups?wait=true", operatorToken);
                var id = backup.Json.GetProperty("manifest").GetProperty("id").GetString()!;
                Assert.True(Directory.Exists(Path.Combine(site2, id)), "the backup was not copied to the second site");

                // Everything InfluxDB answers about the database: every policy's points, series, tags and field keys.
                var policies = await QueryAsync(influx, database, "SHOW RETENTION POLICIES");
                foreach (var policy in new[] { "raw", "m1", "h1", "meta" })
                {
                    Assert.Contains($"\"{policy}\"", policies, StringComparison.Ordinal);
                    stored.Add(await QueryAsync(influx, database, $"SELECT * FROM \"{database}\".\"{policy}\"./.*/"));
                    stored.Add(await QueryAsync(influx, database, $"SHOW FIELD KEYS FROM \"{database}\".\"{policy}\"./.*/"));
                }

                foreach (var statement in new[] { "SHOW MEASUREMENTS", "SHOW SERIES", "SHOW TAG KEYS", "SHOW TAG VALUES WITH KEY =~ /.*/", "SHOW FIELD KEYS" })
                {
                    stored.Add(await QueryAsync(influx, database, statement));
                }

                output = host.Output;
            }

            // The scans can see what they look for: the kept values in InfluxDB, a record's payload in the log segments,
            // the shard archives in the backup, the host's JSON log lines.
            var influxText = string.Join('\n', stored);
            foreach (var temperature in new[] { "21.25", "22.5", "23.75", "24.125", "-71", "-63", "-88" })
            {
                Assert.Contains(temperature, influxText, StringComparison.Ordinal);
            }

            Assert.DoesNotContain("\"string\"", influxText, StringComparison.Ordinal);
            Assert.NotEmpty(SecretScan.Find(data, ["\"fcnt\":1717"]));
            Assert.True(Directory.EnumerateFiles(site1, "*.tar.gz", SearchOption.AllDirectories).Any(), "no influxd shard archive in the backup");
            Assert.Contains("\"Timestamp\"", output, StringComparison.Ordinal);

            var leaks = new List<string>();
            leaks.AddRange(SecretScan.Find(data, _markers));
            leaks.AddRange(SecretScan.Find(site1, _markers));
            leaks.AddRange(SecretScan.Find(site2, _markers));
            leaks.AddRange(SecretScan.Find(influxd.Folder, _markers));
            leaks.AddRange(SecretScan.FindIn("host output", Encoding.UTF8.GetBytes(output), _markers));
            leaks.AddRange(SecretScan.FindIn("InfluxDB answers", Encoding.UTF8.GetBytes(influxText), _markers));
            Assert.True(leaks.Count == 0, $"webhook bodies' private values were stored:\n{string.Join('\n', leaks)}");

            // Token hygiene (issue 19): no secret the test issued (operator, user, webhook and device tokens, webhook
            // signing secrets before and after a rotation) anywhere either, nor a signing key's raw bytes: the host keeps
            // token hashes and sealed signing keys, and records carry the credential's fingerprint only.
            string[] issued = [.. secrets];
            var exposed = new List<string>();
            exposed.AddRange(SecretScan.Find(data, issued, signingKeys));
            exposed.AddRange(SecretScan.Find(site1, issued, signingKeys));
            exposed.AddRange(SecretScan.Find(site2, issued, signingKeys));
            exposed.AddRange(SecretScan.Find(influxd.Folder, issued, signingKeys));
            exposed.AddRange(SecretScan.FindIn("host output", Encoding.UTF8.GetBytes(output), issued, signingKeys));
            exposed.AddRange(SecretScan.FindIn("InfluxDB answers", Encoding.UTF8.GetBytes(influxText), issued, signingKeys));
            Assert.True(exposed.Count == 0, $"{exposed.Count} copies of the {issued.Length} issued secrets were written:\n{string.Join('\n', exposed)}");
            ReliabilityRecorder.Record("token-hygiene", new ReliabilityNumbers { Sent = issued.Length, Lost = 0, Note = $"{issued.Length} issued secrets ({signingKeys.Count} webhook signing secrets among them, also as raw key bytes) searched in the data folder, both backup sites, influxd's folder, the host's output and InfluxDB's answers: 0 found" });
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>The key a Standard Webhooks secret (<c>whsec_</c> + base64) stands for.</summary>
    internal static byte[] SigningKey(string secret) => Convert.FromBase64String(secret["whsec_".Length..]);

    private static async Task<double?> TemperatureAsync(ApiClient api, string device, string token, DateTimeOffset t0)
    {
        var from = Uri.EscapeDataString(t0.AddMinutes(-1).ToString("O", CultureInfo.InvariantCulture));
        var to = Uri.EscapeDataString(t0.AddMinutes(5).ToString("O", CultureInfo.InvariantCulture));
        var answer = await api.GetAsync($"/v1/devices/{device}/series?fields=temperature&from={from}&to={to}", token);
        if (answer.Status != HttpStatusCode.OK)
        {
            return null;
        }

        return answer.Json.GetProperty("series").EnumerateArray().SelectMany(s => s.GetProperty("points").EnumerateArray())
            .Select(p => p.GetProperty("values").GetProperty("temperature"))
            .Where(v => v.ValueKind == JsonValueKind.Number)
            .Select(v => (double?)v.GetDouble())
            .FirstOrDefault();
    }

    private static async Task<string> QueryAsync(HttpClient influx, string database, string statement)
    {
        using var response = await influx.PostAsync("/query", new FormUrlEncodedContent([new("db", database), new("q", statement)]));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode && !body.Contains("\"error\"", StringComparison.Ordinal), $"{statement}: {(int)response.StatusCode} {body}");
        return body;
    }
}
