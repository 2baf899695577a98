using System.Net;
using Datacake.Streams.Access;
using Datacake.Streams.IntegrationTests.Api.Access;
using Datacake.Streams.IntegrationTests.Host.Hosting;
using Datacake.Streams.IntegrationTests.Services;

namespace Datacake.Streams.IntegrationTests.EndToEnd;

/// <summary>
/// The embedded record log on a real filesystem that fills up, under the real executable: ingest answers 503 with
/// Retry-After and acknowledges nothing it did not keep; once space returns the same process acknowledges again,
/// processing carries on, and InfluxDB holds every acknowledged measurement once and no refused one.
/// </summary>
public sealed class RecordLogDiskFullTests
{
    [Fact]
    [Trait("Reliability", "disk-full")]
    public async Task A_full_record_log_disk_answers_503_and_ingest_resumes_by_itself_when_space_returns()
    {
        using var disk = await SmallFilesystem.MountAsync(megabytes: 16);
        var dataDirectory = Directory.CreateTempSubdirectory("dcs-host-").FullName;

        // The record log's folder is always <data>/log: there, the small filesystem.
        Directory.CreateSymbolicLink(Path.Combine(dataDirectory, "log"), disk.Path);
        var database = "logfull_" + Guid.NewGuid().ToString("N")[..10];
        var operatorToken = AccessToken.New().Secret;
        var host = await HostProcess.StartAsync(
            new Dictionary<string, string>
            {
                ["DCS_OPERATOR_TOKEN"] = operatorToken,
                ["DCS_INFLUX_DATABASE"] = database,
                ["RecordLog__Faster__ReopenDelay"] = "00:00:00.200",
            },
            dataDirectory);
        try
        {
            await host.WaitUntilAsync("/readyz", HttpStatusCode.OK, TimeSpan.FromSeconds(60));
            var api = new ApiClient(host.Http);
            var user = await api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, "/v1/users", operatorToken, new { email = "log-full@example.test" });
            var me = await api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/v1/me", user.Str("token"));
            var device = await api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/workspaces/{me.Str("homeWorkspaceId")}/devices", user.Str("token"), new { name = "meter" });
            var deviceId = device.Str("id");
            var deviceToken = (await api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/devices/{deviceId}/tokens", user.Str("token"), new { })).Str("token");
            var influx = new InfluxProbe(database);
            var start = DateTimeOffset.UtcNow.AddMinutes(-30);
            var acknowledged = new List<int>();
            var refused = new List<int>();

            // The new token reaches ingest through the registry feed a moment after its creation.
            await Until.Async(() => SendAsync(api, deviceId, deviceToken, start, 0), r => r.Status == HttpStatusCode.Accepted, "the first measurement accepted");
            acknowledged.Add(0);
            await influx.WaitForPointsAsync(deviceId, 1);

            disk.Fill();
            var n = 1;
            while (refused.Count < 20)
            {
                Assert.True(n < 3_000, $"the full disk never refused a measurement ({acknowledged.Count} acknowledged)");
                Classify(await SendAsync(api, deviceId, deviceToken, start, n), n++, acknowledged, refused);
            }

            disk.Free();
            await Until.Async(
                async () =>
                {
                    var answer = await SendAsync(api, deviceId, deviceToken, start, n);
                    Classify(answer, n++, acknowledged, refused);
                    return answer.Status;
                },
                status => status == HttpStatusCode.Accepted,
                "a measurement accepted again after space returned");
            for (var i = 0; i < 50; i++, n++)
            {
                var answer = await SendAsync(api, deviceId, deviceToken, start, n);
                Assert.True(answer.Status == HttpStatusCode.Accepted, $"measurement {n} after space returned: {(int)answer.Status} {answer.Body}");
                acknowledged.Add(n);
            }

            Assert.False(host.HasExited);

            // Every acknowledged measurement stored once, no refused one: processing read on across the reopen.
            var points = await influx.WaitForPointsAsync(deviceId, acknowledged.Count);
            Assert.Equal(acknowledged.Select(i => (double)i), points.Select(p => p.Number("n")).Order());
            Assert.Empty(points.Select(p => (int)p.Number("n")).Intersect(refused));
        }
        finally
        {
            await host.DisposeAsync();
            Directory.Delete(dataDirectory, recursive: true);
        }
    }

    private static void Classify(ApiResponse answer, int n, List<int> acknowledged, List<int> refused)
    {
        if (answer.Status == HttpStatusCode.Accepted)
        {
            acknowledged.Add(n);
            return;
        }

        Assert.True(answer.Status == HttpStatusCode.ServiceUnavailable, $"measurement {n}: {(int)answer.Status} {answer.Body}");
        Assert.NotNull(answer.Message.Headers.RetryAfter);
        refused.Add(n);
    }

    private static Task<ApiResponse> SendAsync(ApiClient api, string device, string token, DateTimeOffset start, int n) =>
        api.SendAsync(HttpMethod.Post, $"/v1/devices/{device}/measurements", token, new { time = start.AddSeconds(n).ToUnixTimeMilliseconds(), n });
}
