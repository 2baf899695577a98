using System.Net;
using System.Text.Json;

namespace Datacake.Streams.IntegrationTests.Host.Hosting;

public class HostTests
{
    [Fact]
    public async Task Healthz_answers_once_the_host_listens()
    {
        await using var host = await HostProcess.StartAsync();
        using var response = await host.Http.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("healthy", await response.Content.ReadAsStringAsync());

        // The operator reads which checks decide liveness; anyone else gets the word only, as on /readyz.
        using var operatorAnswer = await host.GetAsOperatorAsync("/healthz");
        using var body = JsonDocument.Parse(await operatorAnswer.Content.ReadAsStringAsync());
        Assert.Equal("healthy", body.RootElement.GetProperty("status").GetString());
        Assert.Equal("healthy", body.RootElement.GetProperty("checks").GetProperty("processing-live").GetProperty("status").GetString());
    }

    [Fact]
    public async Task The_host_watches_no_files_so_log_commits_in_its_working_folder_wake_nothing()
    {
        // The working folder holds the data folder here (as with ops/run.sh's ./data): a configuration reload watcher
        // on it saw every commit file the log makes and removes, ~2,000 a second under load (docs/BENCHMARKS.md).
        await using var host = await HostProcess.StartAsync();
        using (var ready = await host.GetAsOperatorAsync("/readyz"))
        {
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        }

        Assert.Equal(Path.TrimEndingDirectorySeparator(host.DataDirectory), new DirectoryInfo($"/proc/{host.ProcessId}/cwd").LinkTarget);
        var watchers = Directory.GetFiles($"/proc/{host.ProcessId}/fd")
            .Select(fd => new FileInfo(fd).LinkTarget)
            .Where(target => target is not null && target.Contains("inotify", StringComparison.Ordinal))
            .ToList();
        Assert.Empty(watchers);
    }

    [Fact]
    public async Task Readyz_answers_once_the_embedded_log_influxdb_and_the_registry_are_there()
    {
        await using var host = await HostProcess.StartAsync();
        await host.WaitUntilAsync("/readyz", HttpStatusCode.OK, TimeSpan.FromSeconds(60));
        using var operatorAnswer = await host.GetAsOperatorAsync("/readyz");
        using var body = JsonDocument.Parse(await operatorAnswer.Content.ReadAsStringAsync());
        var checks = body.RootElement.GetProperty("checks");
        Assert.Equal("healthy", checks.GetProperty("record-log").GetProperty("status").GetString());
        Assert.Equal("healthy", checks.GetProperty("influxdb").GetProperty("status").GetString());
        Assert.Equal("healthy", checks.GetProperty("registry").GetProperty("status").GetString());
        Assert.StartsWith("InfluxDB ", checks.GetProperty("influxdb").GetProperty("description").GetString(), StringComparison.Ordinal);

        // Without the operator token: the status and one word, not InfluxDB's version or any check.
        using var anonymous = await host.Http.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.OK, anonymous.StatusCode);
        Assert.Equal("healthy", await anonymous.Content.ReadAsStringAsync());

        // The embedded log and the node keys live under the data folder, keys readable by the owner only.
        Assert.True(Directory.Exists(Path.Combine(host.DataDirectory, "log")));
        var adapterKey = Path.Combine(host.DataDirectory, "secrets", "adapter.key");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(adapterKey));
    }

    [Fact]
    public async Task Readyz_says_unavailable_while_influxdb_does_not_answer_and_healthz_stays_up()
    {
        await using var host = await HostProcess.StartAsync(new Dictionary<string, string> { ["DCS_INFLUX_URL"] = "http://127.0.0.1:1" });
        await host.WaitUntilAsync("/readyz", HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(60));
        using var operatorAnswer = await host.GetAsOperatorAsync("/readyz");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, operatorAnswer.StatusCode);
        using var body = JsonDocument.Parse(await operatorAnswer.Content.ReadAsStringAsync());
        var influx = body.RootElement.GetProperty("checks").GetProperty("influxdb");
        Assert.Equal("unhealthy", influx.GetProperty("status").GetString());
        var errorText = influx.GetProperty("description").GetString();
        Assert.False(string.IsNullOrEmpty(errorText), "the operator gets the check's error text");

        // Anyone else (no token, a wrong token) gets the status and one word: no error text, no check names.
        foreach (var token in new[] { null, "dcs_not-the-operator" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/readyz", UriKind.Relative));
            if (token is not null)
            {
                request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
            }

            using var anonymous = await host.Http.SendAsync(request);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, anonymous.StatusCode);
            Assert.Equal("unhealthy", await anonymous.Content.ReadAsStringAsync());
        }

        using var health = await host.Http.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    [Fact]
    public async Task Plain_http_on_a_non_loopback_address_is_refused_at_start_up()
    {
        await using var host = await HostProcess.StartAsync(
            new Dictionary<string, string> { ["Streams__HttpUrl"] = "http://0.0.0.0:18080" },
            waitUntilHealthy: false);
        var exitCode = await host.WaitForExitAsync(TimeSpan.FromSeconds(60));
        Assert.NotEqual(0, exitCode);
        Assert.Contains("plain HTTP only on loopback", host.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_role_is_refused_at_start_up()
    {
        await using var host = await HostProcess.StartAsync(
            new Dictionary<string, string> { ["DCS_ROLES"] = "ingest,bogus" },
            waitUntilHealthy: false);
        var exitCode = await host.WaitForExitAsync(TimeSpan.FromSeconds(60));
        Assert.NotEqual(0, exitCode);
        Assert.Contains("unknown role 'bogus'", host.Output, StringComparison.Ordinal);
    }

    /// <summary>
    /// Each area's options are validated by its validator when the host starts (ValidateOnStart), not by the
    /// constructors that use them: one bad key stops the host, naming the key.
    /// </summary>
    [Theory]
    [InlineData("RecordLog__Faster__Partitions", "0", "Partitions must be between 1 and 1024, was 0")]
    [InlineData("Influx__BatchSize", "0", "Influx:BatchSize must be between 1 and")]
    [InlineData("Processing__BatchSize", "0", "Processing:BatchSize")]
    [InlineData("Backup__BackupHost", "no-port", "must be host:port")]
    [InlineData("Access__FailedAuthenticationBurst", "0", "Access:FailedAuthenticationBurst must be at least 1")]
    public async Task A_bad_setting_of_an_area_is_refused_at_start_up(string variable, string value, string message)
    {
        await using var host = await HostProcess.StartAsync(new Dictionary<string, string> { [variable] = value }, waitUntilHealthy: false);
        var exitCode = await host.WaitForExitAsync(TimeSpan.FromSeconds(60));
        Assert.NotEqual(0, exitCode);
        Assert.Contains(message, host.Output, StringComparison.Ordinal);
    }
}
