using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Datacake.Streams.Access;
using Datacake.Streams.IntegrationTests.Api.Access;
using Datacake.Streams.IntegrationTests.Host.Hosting;
using Xunit.Abstractions;

namespace Datacake.Streams.IntegrationTests.EndToEnd;

/// <summary>
/// Issue 19, kill between append and reply, made by the real executable and followed into InfluxDB: the host runs
/// with <c>DCS_FAULT_KILL_AFTER_APPEND=1</c>, so it SIGKILLs itself right after the measurement's record is durable
/// in the log and before the 202. The client sees its connection drop, retries with the same Idempotency-Key against
/// the host restarted on the same data folder, and InfluxDB ends with one point.
/// </summary>
/// <remarks>
/// The body has no time: each copy takes its own receive time, so a second copy that processing did not recognise
/// would be a second point, not an overwrite of the first.
/// </remarks>
public sealed partial class KillBetweenAppendAndReplyTests(ITestOutputHelper output)
{
    private const string Reading = """{"flow":3.5}""";
    private const string LaterReading = """{"flow":4.5}""";
    // HostProcess's own 60 s to /healthz is not always enough beside a soak and other builds (load average 60-80).
    private static readonly TimeSpan ReadyDeadline = TimeSpan.FromSeconds(180);

    [Fact]
    [Trait("Reliability", "kill-between-append-and-reply")]
    public async Task A_host_killed_after_the_append_and_before_the_reply_then_a_retry_with_the_same_key_gives_one_point()
    {
        var operatorToken = AccessToken.New().Secret;
        var influx = new InfluxProbe("e2e_kill_" + Guid.NewGuid().ToString("N")[..12]);
        var data = Directory.CreateTempSubdirectory("dcs-kill-append-").FullName;
        var environment = new Dictionary<string, string>
        {
            ["DCS_OPERATOR_TOKEN"] = operatorToken,
            ["DCS_INFLUX_DATABASE"] = influx.Database,
        };
        var key = "pump-" + Guid.NewGuid().ToString("N");
        try
        {
            TestDevice device;
            await using (var doomed = await HostProcess.StartAsync(new Dictionary<string, string>(environment) { ["DCS_FAULT_KILL_AFTER_APPEND"] = "1" }, data, waitUntilHealthy: false))
            {
                await doomed.WaitUntilAsync("/readyz", HttpStatusCode.OK, ReadyDeadline);
                device = await DeviceAsync(new ApiClient(doomed.Http), operatorToken);

                // The token reaches ingest through dcs.registry: until then a reading is refused 401, not appended, and
                // the fault would never fire (seen in CI). A body that is not JSON is refused 400 once the token is
                // known, before any append.
                await Until.Async(() => Senders.MeasurementAsync(doomed.Http, device, "not json"), r => r.Status == HttpStatusCode.BadRequest, "the device token known to ingest (400 for a body that is not JSON)");

                // The first durable append to dcs.raw is this reading's: the process dies before it answers.
                var dropped = await Assert.ThrowsAnyAsync<HttpRequestException>(() => Senders.MeasurementAsync(doomed.Http, device, Reading, key));
                output.WriteLine($"the client saw: {dropped.GetType().Name}: {dropped.Message}");
                Assert.Equal(137, await doomed.WaitForExitAsync(TimeSpan.FromSeconds(30)));
                Assert.Contains("Fault injection armed by DCS_FAULT_KILL_AFTER_APPEND", doomed.Output, StringComparison.Ordinal);
            }

            await using var restarted = await HostProcess.StartAsync(environment, data, waitUntilHealthy: false);
            await restarted.WaitUntilAsync("/readyz", HttpStatusCode.OK, ReadyDeadline);

            // The client's retry: same body, same Idempotency-Key, against the restarted host; no fault armed now.
            var (status, body) = await Senders.MeasurementAsync(restarted.Http, device, Reading, key);
            Assert.True(status == HttpStatusCode.Accepted, $"the retry: {(int)status} {body}");

            // One device's records stay in order on one partition: once a later reading is stored, the retry before it
            // has been through processing.
            await Senders.AcceptedAsync(() => Senders.MeasurementAsync(restarted.Http, device, LaterReading, key + "-later"), "the later reading");
            var points = await Until.Async(() => influx.PointsAsync(device.Id), p => p.Any(r => r.Number("flow") == 4.5), "the later reading in InfluxDB");
            output.WriteLine("points: " + string.Join(" | ", points));

            Assert.Equal(new[] { 3.5, 4.5 }, points.Select(p => p.Number("flow")));
            // Counted when the batch commits, after its points were written: the later reading can be in InfluxDB a
            // moment before the duplicate beside it in the same batch is counted (seen in CI).
            await Until.Async(() => DuplicatesAsync(restarted), d => d >= 1, "the restarted host's processing to drop the retry as a duplicate (both copies reached it as new?)");
            Assert.False(restarted.HasExited);
        }
        finally
        {
            Directory.Delete(data, recursive: true);
            await influx.DropDatabaseAsync();
        }
    }

    private static async Task<TestDevice> DeviceAsync(ApiClient api, string operatorToken)
    {
        var user = (await api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, "/v1/users", operatorToken, new { email = $"kill-{Guid.NewGuid():N}@example.test" })).Str("token");
        var workspace = (await api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/v1/me", user)).Str("homeWorkspaceId");
        var id = (await api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/workspaces/{workspace}/devices", user, new { name = "retrying pump" })).Str("id");
        var token = (await api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/devices/{id}/tokens", user)).Str("token");
        return new TestDevice(id, "", token);
    }

    /// <summary>Duplicates the host's processing dropped since it started, from /readyz.</summary>
    private static async Task<long> DuplicatesAsync(HostProcess host)
    {
        using var response = await host.GetAsOperatorAsync("/readyz");
        var body = await response.Content.ReadAsStringAsync();
        var match = CountersPattern().Match(body);
        Assert.True(match.Success, $"/readyz does not report processing counters: {body}");
        return long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    [GeneratedRegex(@"records written \d+, duplicates (\d+)")]
    private static partial Regex CountersPattern();
}
