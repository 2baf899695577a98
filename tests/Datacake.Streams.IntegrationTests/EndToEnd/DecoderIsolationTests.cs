using System.Diagnostics;
using System.Globalization;
using System.Net;
using Datacake.Streams.Access;
using Datacake.Streams.IntegrationTests.Api.Access;
using Datacake.Streams.IntegrationTests.Host.Hosting;
using Xunit.Abstractions;
using static Datacake.Streams.IntegrationTests.EndToEnd.UplinkBodies;

namespace Datacake.Streams.IntegrationTests.EndToEnd;

/// <summary>
/// Issue 16 point 5, through the real executable: workspace B's device has a decoder that burns its whole budget on
/// a catastrophic regular expression; its uplinks share the one raw partition with workspace A's HTTP measurements.
/// A's points are all stored and each is queryable within 5 s of its 202 (before: up to 45.7 s behind six such
/// uplinks); B's records are dead-lettered, the later ones <c>decoder_suspended</c> without running the decoder.
/// The owner sees the suspension in <c>GET /v1/decoders/{id}</c>, and an edit of the source resumes the decoder.
/// </summary>
public sealed class DecoderIsolationTests(ITestOutputHelper output) : IAsyncLifetime
{
    // Catches each regex timeout and tries again: the call runs until the deadline, the worst a decoder can do.
    private const string EvilDecoder = """
        function Decoder(bytes, port) {
          var s = 'a'.repeat(30) + '!';
          for (;;) { try { if (/(a+)+$/.test(s)) { return { x: 1 }; } } catch (e) { } }
        }
        """;

    private const int Uplinks = 6;
    private const int Measurements = 12;
    // What "not held" means, on a machine shared with other builds and tests: A's point queryable within 5 s of its
    // 202. Held behind B's decoders it waited up to 45.7 s (before issue 16's fix), and a decoder whose budget is not
    // enforced holds it for ever. The former bound, 1 s, measured the machine rather than the isolation: idle, A's
    // points were queryable 54-190 ms after their 202, at load average ~50 (a soak and two builds beside it) 217-701
    // ms, and the reliability runner, with its integration tests in parallel, failed the test on it.
    private static readonly TimeSpan QueryableWithin = TimeSpan.FromSeconds(5);

    private readonly string _operatorToken = AccessToken.New().Secret;
    private readonly InfluxProbe _influx = new("e2e_dec_" + Guid.NewGuid().ToString("N")[..12]);
    private HostProcess _host = null!;
    private ApiClient _api = null!;

    public async Task InitializeAsync()
    {
        _host = await HostProcess.StartAsync(new Dictionary<string, string>
        {
            ["DCS_OPERATOR_TOKEN"] = _operatorToken,
            ["DCS_INFLUX_DATABASE"] = _influx.Database,

            // One partition per topic: every record of both workspaces passes the same ordered substream.
            ["RecordLog__Faster__Partitions"] = "1",
            ["Logging__LogLevel__Datacake.Streams.Processing.Sink.BatchWriter"] = "Debug",
        });
        _api = new ApiClient(_host.Http);
        await _host.WaitUntilAsync("/readyz", HttpStatusCode.OK, TimeSpan.FromSeconds(90));
    }

    public async Task DisposeAsync()
    {
        var directory = _host.DataDirectory;
        await _host.DisposeAsync();
        Directory.Delete(directory, recursive: true);
        await _influx.DropDatabaseAsync();
    }

    [Fact]
    [Trait("Reliability", "poison-records")]
    public async Task A_decoder_of_one_workspace_does_not_hold_another_workspaces_records()
    {
        var (tokenA, workspaceA) = await UserAsync();
        var (tokenB, workspaceB) = await UserAsync();

        var deviceA = (await _api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/workspaces/{workspaceA}/devices", tokenA, new { name = "A's meter" })).Str("id");
        var deviceTokenA = (await _api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/devices/{deviceA}/tokens", tokenA)).Str("token");
        var meterA = new TestDevice(deviceA, "", deviceTokenA);

        var decoderB = (await _api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/workspaces/{workspaceB}/decoders", tokenB, new { name = "evil", source = EvilDecoder })).Str("id");
        var euiB = "6081F9A3B5D7" + System.Security.Cryptography.RandomNumberGenerator.GetHexString(4);
        var deviceB = (await _api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/workspaces/{workspaceB}/devices", tokenB, new { name = "B's sensor", devEui = euiB })).Str("id");
        await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Patch, $"/v1/devices/{deviceB}", tokenB, new { decoder = decoderB });
        var created = await _api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/workspaces/{workspaceB}/webhooks", tokenB,
            new { kind = "helium", devices = new[] { deviceB }, signed = false });
        var webhookB = new TestWebhook(created.Str("id"), created.Str("token"), null);

        // Both paths known to ingest and the first point of A stored before the measured part.
        var start = DateTimeOffset.UtcNow.AddMinutes(-1);
        await Senders.AcceptedAsync(() => Senders.MeasurementAsync(_host.Http, meterA, Body(start, 0)), "A's device token");
        await _influx.WaitForPointsAsync(deviceA, 1);
        await Senders.AcceptedAsync(() => Senders.WebhookAsync(_host.Http, webhookB, Uplink(euiB, 0, start)), "B's webhook");

        // The process's first JavaScript decode compiles Jint's code paths (~1 s here, once per process): not measured.
        await Until.Async(() => Task.FromResult(EndToEndHost.DeadLettersIn(_host.Output, deviceB)), l => l.Count >= 1, "B's first dead letter");

        var latencies = new List<TimeSpan>();
        for (var i = 1; i <= Measurements; i++)
        {
            // B's uplink goes first into the one partition, A's measurement right behind it.
            if (i <= Uplinks - 1)
            {
                var (uplinkStatus, uplinkBody) = await Senders.WebhookAsync(_host.Http, webhookB, Uplink(euiB, (uint)i, start));
                Assert.True(uplinkStatus == HttpStatusCode.Accepted, $"B's uplink {i}: {(int)uplinkStatus} {uplinkBody}");
            }

            var (status, body) = await Senders.MeasurementAsync(_host.Http, meterA, Body(start, i));
            Assert.True(status == HttpStatusCode.Accepted, $"A's measurement {i}: {(int)status} {body}");
            var acked = Stopwatch.StartNew();
            var expected = i + 1;
            await Until.Async(() => _influx.PointsAsync(deviceA), p => p.Count >= expected, $"A's point {i}");
            latencies.Add(acked.Elapsed);
        }

        output.WriteLine("A's ack → queryable, ms: " + string.Join(", ", latencies.Select(l => l.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture))));
        var points = await _influx.PointsAsync(deviceA);
        var letters = await Until.Async(
            () => Task.FromResult(EndToEndHost.DeadLettersIn(_host.Output, deviceB)), l => l.Count >= Uplinks, $"{Uplinks} dead letters of B");
        output.WriteLine("B's dead letters: " + string.Join(" | ", letters));

        Assert.Equal(Measurements + 1, points.Count);
        Assert.Equal(Enumerable.Range(0, Measurements + 1).Select(i => (double)i), points.Select(p => p.Number("n")));
        Assert.All(latencies, l => Assert.True(l < QueryableWithin, $"a point of A became queryable {l.TotalMilliseconds:0} ms after its ack"));
        Assert.Equal(Uplinks, letters.Count);
        Assert.All(letters.Take(3), l => Assert.Equal("decode_failed", l.Reason));
        Assert.All(letters.Take(3), l => Assert.Contains("timed out", l.Message, StringComparison.Ordinal));
        Assert.All(letters.Skip(3), l => Assert.Equal("decoder_suspended", l.Reason));
        Assert.Empty(await _influx.PointsAsync(deviceB));
        Assert.False(_host.HasExited);
    }

    [Fact]
    public async Task A_suspended_decoder_shows_as_suspended_to_its_owner_only_and_an_edit_resumes_it()
    {
        const string fixedDecoder = "function Decoder(bytes, port) { return { first: bytes[0], port: port }; }";
        var (tokenA, _) = await UserAsync();
        var (tokenB, workspaceB) = await UserAsync();
        var decoderB = (await _api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/workspaces/{workspaceB}/decoders", tokenB, new { name = "evil", source = EvilDecoder })).Str("id");
        var euiB = "6081F9A3B5D7" + System.Security.Cryptography.RandomNumberGenerator.GetHexString(4);
        var deviceB = (await _api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/workspaces/{workspaceB}/devices", tokenB, new { name = "B's sensor", devEui = euiB })).Str("id");
        await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Patch, $"/v1/devices/{deviceB}", tokenB, new { decoder = decoderB });
        var created = await _api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/workspaces/{workspaceB}/webhooks", tokenB,
            new { kind = "helium", devices = new[] { deviceB }, signed = false });
        var webhookB = new TestWebhook(created.Str("id"), created.Str("token"), null);
        var start = DateTimeOffset.UtcNow.AddMinutes(-1);

        var before = await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/v1/decoders/{decoderB}", tokenB);
        Assert.Equal("active", before.Json.GetProperty("state").GetProperty("state").GetString());

        // Three limit hits (Processing:JavaScript:SuspendAfter) suspend it; the fourth record is not run.
        var suspendedAfter = DateTimeOffset.UtcNow;
        for (uint i = 0; i < 4; i++)
        {
            await Senders.AcceptedAsync(() => Senders.WebhookAsync(_host.Http, webhookB, Uplink(euiB, i, start)), $"B's uplink {i}");
        }

        var letters = await Until.Async(
            () => Task.FromResult(EndToEndHost.DeadLettersIn(_host.Output, deviceB)), l => l.Count >= 4, "4 dead letters of B");
        Assert.Equal(["decode_failed", "decode_failed", "decode_failed", "decoder_suspended"], letters.Select(l => l.Reason));

        // The owner sees it: state, reason and since when.
        var seen = await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/v1/decoders/{decoderB}", tokenB);
        var state = seen.Json.GetProperty("state");
        Assert.Equal("suspended", state.GetProperty("state").GetString());
        Assert.Contains("after 3 limit hits", state.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Contains("edit the decoder to resume it", state.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.InRange(state.GetProperty("since").GetDateTimeOffset(), suspendedAfter, DateTimeOffset.UtcNow);

        // Another tenant sees nothing of it, and cannot edit it: 404 as for a decoder that does not exist.
        await _api.ExpectAsync(HttpStatusCode.NotFound, HttpMethod.Get, $"/v1/decoders/{decoderB}", tokenA);
        await _api.ExpectAsync(HttpStatusCode.NotFound, HttpMethod.Patch, $"/v1/decoders/{decoderB}", tokenA, new { source = fixedDecoder });

        // Renaming is no new version: still suspended.
        var renamed = await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Patch, $"/v1/decoders/{decoderB}", tokenB, new { name = "evil, renamed" });
        Assert.Equal("suspended", renamed.Json.GetProperty("state").GetProperty("state").GetString());

        // The edit resumes it: answered active at once, and processing runs the new source on the next uplink.
        var edited = await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Patch, $"/v1/decoders/{decoderB}", tokenB, new { source = fixedDecoder });
        Assert.Equal("active", edited.Json.GetProperty("state").GetProperty("state").GetString());
        Assert.Equal("evil, renamed", edited.Str("name"));
        Assert.Equal(fixedDecoder, (await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/v1/decoders/{decoderB}", tokenB)).Str("source"));

        // The registry change reaches processing within seconds, so uplinks are sent until one is decoded.
        var next = 4u;
        var points = await Until.Async(
            async () =>
            {
                var stored = await _influx.PointsAsync(deviceB);
                if (stored.Count == 0 && EndToEndHost.DeadLettersIn(_host.Output, deviceB).Count >= next)
                {
                    // Every uplink so far has its dead letter (the old version still ran it): send the next.
                    await Senders.AcceptedAsync(() => Senders.WebhookAsync(_host.Http, webhookB, Uplink(euiB, next, start)), $"B's uplink {next}");
                    next++;
                }

                return stored;
            },
            p => p.Count >= 1,
            "a point of B's edited decoder");
        Assert.Equal(1.0, points[0].Number("first"));
        Assert.Equal(5.0, points[0].Number("port"));
        Assert.Equal("active", (await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/v1/decoders/{decoderB}", tokenB)).Json.GetProperty("state").GetProperty("state").GetString());
        Assert.False(_host.HasExited);
    }

    private async Task<(string Token, string Workspace)> UserAsync()
    {
        var token = (await _api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, "/v1/users", _operatorToken, new { email = $"u-{Guid.NewGuid():N}@example.test" })).Str("token");
        var workspace = (await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/v1/me", token)).Str("homeWorkspaceId");
        return (token, workspace);
    }

    private static string Body(DateTimeOffset start, int n) =>
        string.Create(CultureInfo.InvariantCulture, $$$"""[{"time":"{{{Rfc3339(start.AddSeconds(n))}}}","values":{"n":{{{n}}}}}]""");

    private static string Uplink(string eui, uint frameCounter, DateTimeOffset start) =>
        Helium(Guid.NewGuid().ToString(), eui, "48000037", frameCounter + 1, start.AddSeconds(frameCounter), rssi: -100);
}
