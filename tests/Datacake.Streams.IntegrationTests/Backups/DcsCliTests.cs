using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text;
using Datacake.Streams.Access;
using Datacake.Streams.Ids;
using Datacake.Streams.Influx.Client;
using Datacake.Streams.Influx.Querying;
using Datacake.Streams.IntegrationTests.Api.Access;
using Datacake.Streams.IntegrationTests.Host.Hosting;
using Datacake.Streams.IntegrationTests.Services;
using Datacake.Streams.Storage;

namespace Datacake.Streams.IntegrationTests.Backups;

/// <summary>
/// The operator CLI <c>dcs</c> (the built dll, a child process) against the real executable and the real influxd:
/// its output is the API's JSON on stdout, its effects are checked on disk and in InfluxDB, its exit codes are the
/// documented ones (docs/OPERATIONS.md).
/// </summary>
public sealed class DcsCliTests : IAsyncLifetime
{
    private readonly string _operator = AccessToken.New().Secret;
    private readonly string _database = "cli_" + Guid.NewGuid().ToString("N")[..12];
    private readonly string _folder = Directory.CreateTempSubdirectory("dcs-cli-test-").FullName;
    private HostProcess _host = null!;
    private InfluxClient _influx = null!;

    private string Site1 => Path.Combine(_folder, "site-1");

    private string Site2 => Path.Combine(_folder, "site-2");

    public async Task InitializeAsync()
    {
        var endpoints = ServiceEndpoints.Current;
        _influx = new InfluxClient(new InfluxOptions
        {
            Url = new Uri(endpoints.InfluxUrl),
            Database = _database,
            User = endpoints.InfluxUser,
            Password = endpoints.InfluxPassword,
            RequestTimeout = TimeSpan.FromSeconds(60),
        });
        _host = await HostProcess.StartAsync(new Dictionary<string, string>
        {
            ["DCS_OPERATOR_TOKEN"] = _operator,
            ["DCS_INFLUX_DATABASE"] = _database,
            ["DCS_INFLUX_BACKUP_HOST"] = endpoints.InfluxBackupHost,
            ["DCS_BACKUP_DIR"] = Site1,
            ["DCS_BACKUP_SECONDARY_DIR"] = Site2,
            ["Backup__Enabled"] = "false",
        });

        // The host creates its database and tiers at start; the tests write into them directly.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await HasRawPolicyAsync())
        {
            Assert.True(DateTime.UtcNow < deadline, $"the host did not create {_database} with its tiers within 30 s");
            await Task.Delay(50);
        }
    }

    private async Task<bool> HasRawPolicyAsync()
    {
        try
        {
            var policies = await _influx.QueryAsync($"SHOW RETENTION POLICIES ON {InfluxQl.QuoteIdentifier(_database)}", _database);
            var series = policies.Statements[0].Series;
            return series.Count > 0 && Enumerable.Range(0, series[0].Values.Count).Any(r => series[0].GetString(r, "name") == "raw");
        }
        catch (InfluxException)
        {
            return false;
        }
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        var databases = await _influx.QueryAsync("SHOW DATABASES", _database);
        foreach (var name in databases.Statements[0].Series.SelectMany(s => s.Values).Select(v => v[0].GetString()!).Where(n => n.StartsWith(_database, StringComparison.Ordinal)))
        {
            await _influx.ExecuteAsync($"DROP DATABASE {InfluxQl.QuoteIdentifier(name)}");
        }

        _influx.Dispose();
        Directory.Delete(_folder, recursive: true);
        Directory.Delete(_host.DataDirectory, recursive: true);
    }

    [Fact]
    public async Task Users_backup_now_list_verify_restore_and_restore_device_work_and_the_backups_hold_no_token_secret()
    {
        // A user made with the CLI, and a device token made with the user's: their hashes go into the metadata store.
        var created = await DcsAsync(0, "users", "create", "--email", "cli-owner@example.test");
        var owner = Json(created).GetProperty("token").GetString()!;
        Assert.True(AccessToken.TryParse(owner, out _), $"not a dcs_ token: {owner}");
        var api = new ApiClient(_host.Http);
        var workspace = (await api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/v1/me", owner)).Str("homeWorkspaceId");
        var device = (await api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/workspaces/{workspace}/devices", owner, new { name = "Cellar" })).Str("id");
        var deviceToken = (await api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/devices/{device}/tokens", owner)).Str("token");

        var other = DeviceId.New().ToString();
        var t0 = DateTimeOffset.UtcNow.AddMinutes(-10).ToUnixTimeMilliseconds() * 1_000_000L;
        await WriteAsync(Lines(device, t0, 30) + Lines(other, t0, 20));

        // backup now: waits for the copy to the second site and its verification; stdout is the listing's JSON.
        var now = await DcsAsync(0, "backup", "now");
        var entry = Json(now);
        var id = entry.GetProperty("manifest").GetProperty("id").GetString()!;
        Assert.Equal(50, entry.GetProperty("manifest").GetProperty("counts").GetProperty("raw").GetProperty("values").GetProperty("temperature").GetInt64());
        Assert.True(entry.GetProperty("manifest").GetProperty("metadataStore").GetBoolean());
        Assert.True(entry.GetProperty("verification").GetProperty("secondaryOk").GetBoolean());
        Assert.True(File.Exists(Path.Combine(Site1, id, "manifest.json")));
        Assert.True(File.Exists(Path.Combine(Site2, id, "manifest.json")));

        var list = Json(await DcsAsync(0, "backup", "list"));
        Assert.Contains(id, list.GetProperty("backups").EnumerateArray().Select(b => b.GetProperty("manifest").GetProperty("id").GetString()));

        // No token secret anywhere in either site (the metadata snapshot holds hashes), though the snapshot is real.
        var secrets = new[] { _operator, owner, deviceToken };
        foreach (var file in Directory.EnumerateFiles(Site1, "*", SearchOption.AllDirectories).Concat(Directory.EnumerateFiles(Site2, "*", SearchOption.AllDirectories)))
        {
            var bytes = await File.ReadAllBytesAsync(file);
            foreach (var secret in secrets)
            {
                Assert.True(bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(secret)) < 0, $"{file} holds a token secret");
            }
        }

        var snapshot = await File.ReadAllBytesAsync(Path.Combine(Site2, id, "metadata", "metadata.db"));
        Assert.True(snapshot.AsSpan().IndexOf("cli-owner@example.test"u8) >= 0, "the metadata snapshot does not hold the user");

        // verify: ok, then a damaged file on the second site is found (exit 6), named in the output.
        Assert.True(Json(await DcsAsync(0, "backup", "verify", id)).GetProperty("ok").GetBoolean());
        var shard = Directory.EnumerateFiles(Path.Combine(Site2, id, "influx", "raw"), "*.tar.gz", SearchOption.AllDirectories).First();
        var original = await File.ReadAllBytesAsync(shard);
        await File.AppendAllTextAsync(shard, "x");
        var damaged = await DcsAsync(6, "backup", "verify", id);
        Assert.False(Json(damaged).GetProperty("secondaryOk").GetBoolean());
        Assert.Contains(Path.GetFileName(shard), damaged.Output, StringComparison.Ordinal);
        await File.WriteAllBytesAsync(shard, original);

        // restore into a new database: the manifest's counts, in InfluxDB.
        var restored = Json(await DcsAsync(0, "backup", "restore", id));
        var restoredDatabase = restored.GetProperty("database").GetString()!;
        Assert.StartsWith(_database + "_restore_", restoredDatabase, StringComparison.Ordinal);
        Assert.Equal(50, await CountAsync(restoredDatabase, null));

        // restore-device: the device's points come back into the live database with their values; the other's are untouched.
        var before = await PointsAsync(device);
        await _influx.ExecuteAsync($"DROP SERIES FROM /.*/ WHERE device = {InfluxQl.QuoteString(device)}");
        Assert.Equal(0, await CountAsync(_database, device));
        var back = Json(await DcsAsync(0, "backup", "restore-device", id, "--device", device));
        Assert.Equal(30, back.GetProperty("pointsWritten").GetProperty("raw").GetInt64());
        Assert.Equal(before, await PointsAsync(device));
        Assert.Equal(20, await CountAsync(_database, other));

        // A swap needs --confirm (refused locally, nothing written); with it, the backup is copied back.
        await _influx.ExecuteAsync($"DELETE FROM {InfluxQl.QuoteIdentifier(other)} WHERE device = {InfluxQl.QuoteString(other)}");
        var refused = await DcsAsync(2, "backup", "restore", id, "--swap");
        Assert.Contains("--confirm", refused.Error, StringComparison.Ordinal);
        Assert.Equal(0, await CountAsync(_database, other));
        Assert.True(Json(await DcsAsync(0, "backup", "restore", id, "--swap", "--confirm")).GetProperty("swapped").GetBoolean());
        Assert.Equal(20, await CountAsync(_database, other));

        // Not found and bad input: the documented exit codes with the API's reason.
        var missing = await DcsAsync(4, "backup", "restore", "bk-20000101T000000000Z");
        Assert.Contains("Backup not found", missing.Error, StringComparison.Ordinal);
        var invalid = await DcsAsync(2, "backup", "restore-device", id, "--device", "not-a-device");
        Assert.Contains("deviceId", invalid.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Retention_show_and_set_change_the_live_tiers()
    {
        var shown = Json(await DcsAsync(0, "retention", "show"));
        Assert.Equal(_database, shown.GetProperty("database").GetString());
        Assert.Equal(InfluxDuration.Format(TimeSpan.FromDays(30)), shown.GetProperty("tiers").GetProperty("raw").GetProperty("duration").GetString());

        await DcsAsync(0, "retention", "set", "--raw", "40d");
        var changed = Json(await DcsAsync(0, "retention", "show"));
        Assert.Equal(InfluxDuration.Format(TimeSpan.FromDays(40)), changed.GetProperty("tiers").GetProperty("raw").GetProperty("duration").GetString());
        var policies = await _influx.QueryAsync($"SHOW RETENTION POLICIES ON {InfluxQl.QuoteIdentifier(_database)}", _database);
        var raw = policies.Statements[0].Series[0];
        var row = Enumerable.Range(0, raw.Values.Count).Single(r => raw.GetString(r, "name") == "raw");
        Assert.Equal("960h0m0s", raw.GetString(row, "duration"));

        var none = await DcsAsync(2, "retention", "set");
        Assert.Contains("name at least one tier", none.Error, StringComparison.Ordinal);
        var bad = await DcsAsync(2, "retention", "set", "--raw", "banana");
        Assert.Contains("HTTP 400", bad.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Refused_or_missing_tokens_an_absent_API_and_bad_usage_exit_non_zero_with_a_clear_message()
    {
        var wrong = await DcsAsync(3, new Dictionary<string, string> { ["DCS_OPERATOR_TOKEN"] = AccessToken.New().Secret }, "backup", "list");
        Assert.Contains("refused the operator token", wrong.Error, StringComparison.Ordinal);
        Assert.Contains("HTTP 403", wrong.Error, StringComparison.Ordinal);
        Assert.Empty(wrong.Output.Trim());

        var user = await DcsAsync(3, new Dictionary<string, string> { ["DCS_OPERATOR_TOKEN"] = "not even a token" }, "users", "create", "--email", "x@example.test");
        Assert.Contains("refused the operator token", user.Error, StringComparison.Ordinal);

        var none = await DcsAsync(3, new Dictionary<string, string> { ["DCS_OPERATOR_TOKEN"] = "" }, "backup", "list");
        Assert.Contains("no operator token", none.Error, StringComparison.Ordinal);
        var noFile = await DcsAsync(3, "--token-file", Path.Combine(_folder, "absent.token"), "backup", "list");
        Assert.Contains("no operator token", noFile.Error, StringComparison.Ordinal);

        // The token file works like the variable.
        var tokenFile = Path.Combine(_folder, "operator.token");
        await File.WriteAllTextAsync(tokenFile, _operator + "\n");
        await DcsAsync(0, new Dictionary<string, string> { ["DCS_OPERATOR_TOKEN"] = "" }, "--token-file", tokenFile, "backup", "list");

        var down = await DcsAsync(5, "--url", "http://127.0.0.1:1", "backup", "list");
        Assert.Contains("did not answer", down.Error, StringComparison.Ordinal);

        await DcsAsync(2, "frobnicate");
        var usage = await DcsAsync(2, "users", "create");
        Assert.Contains("--email", usage.Error, StringComparison.Ordinal);
    }

    private Task<CommandResult> DcsAsync(int expectedExit, params string[] arguments) => DcsAsync(expectedExit, new Dictionary<string, string>(), arguments);

    private async Task<CommandResult> DcsAsync(int expectedExit, Dictionary<string, string> environment, params string[] arguments)
    {
        var env = new Dictionary<string, string> { ["DCS_API_URL"] = _host.Http.BaseAddress!.ToString().TrimEnd('/'), ["DCS_OPERATOR_TOKEN"] = _operator };
        foreach (var (key, value) in environment)
        {
            env[key] = value;
        }

        var result = await DcsCli.RunAsync(env, arguments);
        Assert.True(result.ExitCode == expectedExit, $"dcs {string.Join(' ', arguments)}: exit {result.ExitCode}, expected {expectedExit}\nstdout:\n{result.Output}\nstderr:\n{result.Error}");
        return result;
    }

    private static JsonElement Json(CommandResult result) => JsonDocument.Parse(result.Output).RootElement;

    private Task WriteAsync(string lines) => _influx.WriteAsync(Encoding.UTF8.GetBytes(lines), "raw");

    /// <summary>Points of <paramref name="device"/> (its own measurement), or of every device when null.</summary>
    private async Task<long> CountAsync(string database, string? device)
    {
        var from = device is null ? StorageLayout.AllDevicesPattern : InfluxQl.QuoteIdentifier(device);
        var where = device is null ? "" : $" WHERE device = {InfluxQl.QuoteString(device)}";
        var result = await _influx.QueryAsync($"SELECT count(temperature) FROM {InfluxQl.QuoteIdentifier(database)}.\"raw\".{from}{where}", database);
        return result.Statements[0].Series.Where(s => s.Values.Count > 0).Sum(s => s.GetInt64(0, "count"));
    }

    private async Task<List<string>> PointsAsync(string device)
    {
        var result = await _influx.QueryAsync(
            $"SELECT temperature, label FROM {InfluxQl.QuoteIdentifier(_database)}.\"raw\".{InfluxQl.QuoteIdentifier(device)} WHERE device = {InfluxQl.QuoteString(device)}", _database);
        return [.. result.Statements[0].Series.SelectMany(s => s.Values).Select(v => string.Join(' ', v.Select(e => e.ToString())))];
    }

    private static string Lines(string device, long t0, int count)
    {
        var text = new StringBuilder();
        for (var i = 0; i < count; i++)
        {
            text.Append(BackupTestBed.LineOf(device)).Append(" temperature=").Append((15 + (i * 0.25)).ToString(CultureInfo.InvariantCulture))
                .Append(",label=\"p").Append(i).Append("\" ").Append(t0 + (i * 1_000_000_000L)).Append('\n');
        }

        return text.ToString();
    }
}
