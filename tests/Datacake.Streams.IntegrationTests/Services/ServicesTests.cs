using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;

namespace Datacake.Streams.IntegrationTests.Services;

/// <summary>
/// The servers of <c>ops/services.sh up</c> are there and behave as the rest of the tests assume:
/// influxd with authentication on, mosquitto with password and TLS checked against the CA file.
/// </summary>
public sealed class ServicesTests : IDisposable
{
    // One request or client run takes well under a second here; 30 s absorbs a loaded 2-core machine.
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private readonly ServiceEndpoints _endpoints = ServiceEndpoints.Current;
    private readonly HttpClient _influx;

    public ServicesTests()
    {
        _influx = new HttpClient { BaseAddress = new Uri(_endpoints.InfluxUrl), Timeout = Deadline };
    }

    public void Dispose() => _influx.Dispose();

    [Fact]
    public async Task Influx_answers_ping_with_credentials_and_refuses_an_unauthenticated_query()
    {
        using var ping = await SendInfluxAsync(HttpMethod.Get, "/ping", Credentials(_endpoints.InfluxPassword));
        Assert.Equal(HttpStatusCode.NoContent, ping.StatusCode);
        Assert.StartsWith("1.6", ping.Headers.GetValues("X-Influxdb-Version").Single(), StringComparison.Ordinal);

        using var anonymous = await SendInfluxAsync(HttpMethod.Get, "/query?q=SHOW%20DATABASES", credentials: null);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);

        using var wrongPassword = await SendInfluxAsync(HttpMethod.Get, "/query?q=SHOW%20DATABASES", Credentials("not-the-password"));
        Assert.Equal(HttpStatusCode.Unauthorized, wrongPassword.StatusCode);

        using var authorized = await SendInfluxAsync(HttpMethod.Get, "/query?q=SHOW%20DATABASES", Credentials(_endpoints.InfluxPassword));
        Assert.Equal(HttpStatusCode.OK, authorized.StatusCode);
    }

    [Fact]
    public async Task Influx_creates_writes_reads_and_drops_a_database()
    {
        var database = $"test_{Guid.NewGuid():N}";
        await ExecuteAsync($"CREATE DATABASE \"{database}\"");
        try
        {
            Assert.Contains(database, await DatabasesAsync());

            using var write = new HttpRequestMessage(HttpMethod.Post, $"/write?db={database}&precision=ms")
            {
                Content = new StringContent("probe,device=dev_1 value=21.5 1700000000000", Encoding.UTF8),
            };
            write.Headers.Authorization = Credentials(_endpoints.InfluxPassword);
            using var written = await _influx.SendAsync(write);
            Assert.Equal(HttpStatusCode.NoContent, written.StatusCode);

            using var rows = await QueryAsync("SELECT value FROM probe WHERE device = 'dev_1'", database);
            var row = rows.RootElement.GetProperty("results")[0].GetProperty("series")[0].GetProperty("values")[0];
            Assert.Equal(1700000000000, row[0].GetInt64());
            Assert.Equal(21.5, row[1].GetDouble());
        }
        finally
        {
            await ExecuteAsync($"DROP DATABASE \"{database}\"");
        }

        Assert.DoesNotContain(database, await DatabasesAsync());
    }

    [Fact]
    public async Task Mosquitto_delivers_over_tls_with_the_password()
    {
        var topic = $"dcs/test/{Guid.NewGuid():N}";
        var payload = $"probe-{Guid.NewGuid():N}";
        // stdbuf -oL: into a pipe mosquitto_sub's stdio buffers its debug lines until exit.
        await using var subscriber = ExternalCommand.Start(
            "stdbuf",
            ["-oL", "mosquitto_sub", .. TlsArguments(_endpoints.MqttPassword), "-d", "-t", topic, "-q", "1", "-C", "1", "-W", Seconds(Deadline)]);

        // -d prints the broker's SUBACK: publishing before it could race past the subscription.
        await subscriber.WaitForLineAsync(line => line.Contains("received SUBACK", StringComparison.Ordinal), Deadline);

        var published = await ExternalCommand.RunAsync(
            "mosquitto_pub", Deadline, [.. TlsArguments(_endpoints.MqttPassword), "-t", topic, "-q", "1", "-m", payload]);
        Assert.True(published.ExitCode == 0, $"mosquitto_pub failed ({published.ExitCode}): {published.Error}");

        Assert.Equal(payload, await subscriber.WaitForLineAsync(line => line == payload, Deadline));
        Assert.Equal(0, await subscriber.WaitForExitAsync(Deadline));
    }

    [Fact]
    public async Task Mosquitto_refuses_a_wrong_password()
    {
        var refused = await ExternalCommand.RunAsync(
            "mosquitto_pub", Deadline, [.. TlsArguments("not-the-password"), "-t", "dcs/test/refused", "-m", "x"]);

        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("not authorised", refused.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Mosquitto_tls_is_validated_against_the_ca_file()
    {
        // The same connection trusting an unrelated self-signed certificate instead of the broker's must fail:
        // proof that the successful runs above really checked the certificate.
        var otherCa = Path.Combine(Path.GetTempPath(), $"dcs-other-ca-{Guid.NewGuid():N}.pem");
        using (var key = ECDsa.Create(ECCurve.NamedCurves.nistP256))
        {
            var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256);
            using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
            await File.WriteAllTextAsync(otherCa, certificate.ExportCertificatePem());
        }

        try
        {
            string[] arguments =
            [
                "-h", _endpoints.MqttHost, "-p", _endpoints.MqttTlsPort.ToString(CultureInfo.InvariantCulture),
                "--cafile", otherCa, "-u", _endpoints.MqttUser, "-P", _endpoints.MqttPassword,
                "-t", "dcs/test/untrusted", "-m", "x",
            ];
            var untrusted = await ExternalCommand.RunAsync("mosquitto_pub", Deadline, arguments);

            Assert.NotEqual(0, untrusted.ExitCode);
            Assert.Contains("TLS error", untrusted.Error, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(otherCa);
        }
    }

    private string[] TlsArguments(string password) =>
    [
        "-h", _endpoints.MqttHost, "-p", _endpoints.MqttTlsPort.ToString(CultureInfo.InvariantCulture),
        "--cafile", _endpoints.MqttCaFile, "-u", _endpoints.MqttUser, "-P", password,
        "-i", $"dcs-test-{Guid.NewGuid():N}"[..23],
    ];

    private static string Seconds(TimeSpan span) => ((int)span.TotalSeconds).ToString(CultureInfo.InvariantCulture);

    private AuthenticationHeaderValue Credentials(string password) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{_endpoints.InfluxUser}:{password}")));

    private async Task<HttpResponseMessage> SendInfluxAsync(HttpMethod method, string path, AuthenticationHeaderValue? credentials)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = credentials;
        try
        {
            return await _influx.SendAsync(request);
        }
        catch (HttpRequestException ex)
        {
            throw new InvalidOperationException($"influxd at {_endpoints.InfluxUrl} does not answer ({ex.Message}): {ServiceEndpoints.StartHint}", ex);
        }
    }

    /// <summary>Runs an InfluxQL statement; influxd reports statement errors with HTTP 200, so each result is checked.</summary>
    private async Task<JsonDocument> QueryAsync(string statement, string? database = null)
    {
        var form = new Dictionary<string, string> { ["q"] = statement, ["epoch"] = "ms" };
        if (database is not null)
        {
            form["db"] = database;
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, "/query") { Content = new FormUrlEncodedContent(form) };
        request.Headers.Authorization = Credentials(_endpoints.InfluxPassword);
        using var response = await _influx.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{statement}: HTTP {(int)response.StatusCode} {body}");
        var document = JsonDocument.Parse(body);
        foreach (var result in document.RootElement.GetProperty("results").EnumerateArray())
        {
            Assert.False(result.TryGetProperty("error", out var error), $"{statement}: {error}");
        }

        return document;
    }

    private async Task ExecuteAsync(string statement)
    {
        using var document = await QueryAsync(statement);
    }

    private async Task<IReadOnlyList<string>> DatabasesAsync()
    {
        using var document = await QueryAsync("SHOW DATABASES");
        // With no database at all influxd leaves "values" out.
        var series = document.RootElement.GetProperty("results")[0].GetProperty("series")[0];
        return series.TryGetProperty("values", out var values)
            ? [.. values.EnumerateArray().Select(row => row[0].GetString()!)]
            : [];
    }
}
