using System.Net;
using Datacake.Streams.Access;
using Datacake.Streams.IntegrationTests.Api.Access;
using Datacake.Streams.IntegrationTests.Host.Hosting;
using Datacake.Streams.IntegrationTests.Services;

namespace Datacake.Streams.IntegrationTests.EndToEnd;

/// <summary>
/// The processing state folder on a real filesystem that fills up, under the real executable: processing fails its
/// state writes, restarts, and once it has stayed down past <c>Processing:DownLimit</c> <c>/healthz</c> asks for the
/// node to be replaced; when space returns it resumes by itself and every acknowledged measurement is stored once.
/// </summary>
public sealed class StateDiskFullTests
{
    [Fact]
    [Trait("Reliability", "disk-full")]
    public async Task A_full_state_disk_fails_liveness_past_the_limit_and_processing_resumes_by_itself_when_space_returns()
    {
        using var disk = await SmallFilesystem.MountAsync(megabytes: 16);
        var database = "diskfull_" + Guid.NewGuid().ToString("N")[..10];
        var operatorToken = AccessToken.New().Secret;
        var host = await HostProcess.StartAsync(new Dictionary<string, string>
        {
            ["DCS_OPERATOR_TOKEN"] = operatorToken,
            ["DCS_INFLUX_DATABASE"] = database,
            ["Processing__StateDirectory"] = disk.Path,
            ["Processing__CheckpointInterval"] = "00:00:00",
            ["Processing__RestartDelay"] = "00:00:00.200",
            ["Processing__RestartMaxDelay"] = "00:00:01",
            ["Processing__DownLimit"] = "00:00:03",
        });
        try
        {
            await host.WaitUntilAsync("/readyz", HttpStatusCode.OK, TimeSpan.FromSeconds(60));
            var api = new ApiClient(host.Http);
            var user = await api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, "/v1/users", operatorToken, new { email = "disk-full@example.test" });
            var me = await api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/v1/me", user.Str("token"));
            var device = await api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/workspaces/{me.Str("homeWorkspaceId")}/devices", user.Str("token"), new { name = "boiler" });
            var deviceId = device.Str("id");
            var deviceToken = (await api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/devices/{deviceId}/tokens", user.Str("token"), new { })).Str("token");
            var influx = new InfluxProbe(database);
            var start = DateTimeOffset.UtcNow.AddMinutes(-10);

            // The new token reaches ingest through the registry feed a moment after its creation.
            await Until.Async(
                () => api.SendAsync(HttpMethod.Post, $"/v1/devices/{deviceId}/measurements", deviceToken, new { time = start.ToUnixTimeMilliseconds(), n = 0 }),
                r => r.Status == HttpStatusCode.Accepted,
                "the first measurement accepted");
            await influx.WaitForPointsAsync(deviceId, 1);

            disk.Fill();
            const int during = 200;
            for (var i = 1; i <= during; i++)
            {
                await SendAsync(api, deviceId, deviceToken, start, i);
            }

            // Down past the 3 s limit: liveness fails (and readiness with it), the process stays up.
            await host.WaitUntilAsync("/healthz", HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(60));
            using (var operatorView = await host.GetAsOperatorAsync("/healthz"))
            {
                Assert.Contains("processing down for", await operatorView.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            }

            Assert.False(host.HasExited);

            disk.Free();
            await host.WaitUntilAsync("/healthz", HttpStatusCode.OK, TimeSpan.FromSeconds(90));
            var points = await influx.WaitForPointsAsync(deviceId, during + 1);
            Assert.Equal(Enumerable.Range(0, during + 1).Select(i => (double)i), points.Select(p => p.Number("n")).Order());
        }
        finally
        {
            await host.DisposeAsync();
            Directory.Delete(host.DataDirectory, recursive: true);
        }
    }

    private static Task<ApiResponse> SendAsync(ApiClient api, string device, string token, DateTimeOffset start, int n) =>
        api.ExpectAsync(
            HttpStatusCode.Accepted,
            HttpMethod.Post,
            $"/v1/devices/{device}/measurements",
            token,
            new { time = start.AddSeconds(n).ToUnixTimeMilliseconds(), n });
}
