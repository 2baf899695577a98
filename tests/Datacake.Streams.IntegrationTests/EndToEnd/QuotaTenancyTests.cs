using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Datacake.Streams.Problems;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;
using static Datacake.Streams.IntegrationTests.EndToEnd.UplinkBodies;

namespace Datacake.Streams.IntegrationTests.EndToEnd;

/// <summary>
/// Per-workspace ingest quotas through the real executable: the operator gives tenant A a low quota, A floods HTTP
/// ingest, its webhook and the MQTT broker (v5 and 3.1.1) past it while tenant B writes in between. A is refused on
/// every edge in its protocol's way; every one of B's writes is accepted and stored; every write of A's that was
/// accepted is stored, and none that was refused (counts exact in influxd).
/// </summary>
/// <remarks>
/// Exactness: records of one device are processed in log order (the log is keyed by device id). After the flood the
/// operator removes A's quota and each of A's devices sends one last point, which must be accepted; once it is stored,
/// every earlier accepted record of that device is too, so the counts read then are final.
/// </remarks>
[Collection(EndToEndCollection.Name)]
public sealed class QuotaTenancyTests(EndToEndHost e2e)
{
    /// <summary>Sends per edge before a refusal must have come: the burst is 6, the refill one point every 2 s.</summary>
    private const int MaxSends = 40;

    [Fact]
    public async Task A_tenant_over_its_quota_is_refused_on_every_edge_while_another_tenants_writes_are_all_accepted_and_stored()
    {
        var http = e2e.Host.Http;
        var a = await NewTenantAsync("a");
        var b = await NewTenantAsync("b");
        var meterA = await a.DeviceAsync("A meter");
        var probeA = await a.DeviceAsync("A probe", devEui: "70B3D57ED008" + System.Security.Cryptography.RandomNumberGenerator.GetHexString(4));
        var webhookA = await a.WebhookAsync(probeA);
        var meterB = await b.DeviceAsync("B meter");
        var start = DateTimeOffset.UtcNow.AddMinutes(-3).AddTicks(2468);

        // Both tenants' credentials known to ingest before the flood (probes that authenticate and store nothing).
        await Until.Async(() => StatusAsync(http, meterA, "{}", "text/plain"), s => s == HttpStatusCode.UnsupportedMediaType, "A's token at ingest");
        await Until.Async(() => StatusAsync(http, meterB, "{}", "text/plain"), s => s == HttpStatusCode.UnsupportedMediaType, "B's token at ingest");
        await Until.Async(async () => (await Senders.WebhookAsync(http, webhookA, "{")).Status, s => s == HttpStatusCode.BadRequest, "A's webhook at ingest");

        // The operator endpoint: only the operator, only a quota that can work, only a workspace that exists.
        var path = $"/v1/ops/workspaces/{a.WorkspaceId}/quota";
        Assert.Equal(ProblemTypes.Forbidden, (await e2e.Api.ExpectAsync(HttpStatusCode.Forbidden, HttpMethod.Put, path, a.UserToken, new { pointsPerSecond = 1e6 })).Str("type"));
        Assert.Equal(ProblemTypes.InvalidRequest, (await e2e.Api.ExpectAsync(HttpStatusCode.BadRequest, HttpMethod.Put, path, e2e.OperatorToken, new { pointsPerSecond = 0 })).Str("type"));
        Assert.Equal(ProblemTypes.InvalidRequest, (await e2e.Api.ExpectAsync(HttpStatusCode.BadRequest, HttpMethod.Put, path, e2e.OperatorToken, new { pointsPerSecond = 1, burst = 0.5 })).Str("type"));
        await e2e.Api.ExpectAsync(HttpStatusCode.NotFound, HttpMethod.Get, "/v1/ops/workspaces/ws_nope/quota", e2e.OperatorToken);
        Assert.Equal(JsonValueNull, (await e2e.Api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, path, e2e.OperatorToken)).Json.GetProperty("quota").ValueKind);

        // A: one point every 2 s after a burst of 6. The answer comes once this node enforces it.
        var set = await e2e.Api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Put, path, e2e.OperatorToken, new { pointsPerSecond = 0.5, burst = 6 });
        Assert.Equal(0.5, set.Json.GetProperty("quota").GetProperty("pointsPerSecond").GetDouble());
        Assert.Equal(6, (await e2e.Api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, path, e2e.OperatorToken)).Json.GetProperty("quota").GetProperty("burst").GetDouble());

        var sequence = 0;
        var acceptedA = new List<int>();
        var sentB = new List<int>();

        // HTTP: A until 429 (with Retry-After and the problem), B after each of A's sends, all 202.
        var refusedHttp = false;
        for (var i = 0; i < MaxSends && !refusedHttp; i++)
        {
            var n = ++sequence;
            var (status, retryAfter, body) = await SendAsync(http, meterA, Reading(start, n));
            if (status == HttpStatusCode.Accepted)
            {
                acceptedA.Add(n);
            }
            else
            {
                Assert.True(status == HttpStatusCode.TooManyRequests, $"A's send {n}: {(int)status} {body}");
                Assert.True(retryAfter >= TimeSpan.FromSeconds(1), "429 without Retry-After");
                Assert.Contains(ProblemTypes.QuotaExceeded, body, StringComparison.Ordinal);
                refusedHttp = true;
            }

            await BWritesAsync(http, meterB, start, ++sequence, sentB);
        }

        Assert.True(refusedHttp, $"A sent {MaxSends} points over HTTP and none was refused");
        Assert.True(acceptedA.Count >= 6, $"A's burst of 6 was not accepted: {acceptedA.Count}");

        // Webhook: A's uplinks until 429, through the same workspace quota.
        var uplinksA = new List<uint>();
        var refusedWebhook = false;
        for (uint fcnt = 1; fcnt <= MaxSends && !refusedWebhook; fcnt++)
        {
            var answer = await Senders.WebhookAsync(http, webhookA, Tts(probeA.DevEui!, "AZ9fQ2s1k8mV7xTz0pL3nB==", fcnt, start.AddSeconds(fcnt), temperature: fcnt, humidity: 50));
            if (answer.Status == HttpStatusCode.Accepted)
            {
                uplinksA.Add(fcnt);
            }
            else
            {
                Assert.True(answer.Status == HttpStatusCode.TooManyRequests, $"A's uplink {fcnt}: {(int)answer.Status} {answer.Body}");
                Assert.Contains(ProblemTypes.QuotaExceeded, answer.Body, StringComparison.Ordinal);
                refusedWebhook = true;
            }

            await BWritesAsync(http, meterB, start, ++sequence, sentB);
        }

        Assert.True(refusedWebhook, "A's webhook was never refused");

        // MQTT 5: PUBACK 0x97 Quota exceeded, and the connection stays; B publishes in between on its own connection.
        using var clientA = new MqttClientFactory().CreateMqttClient();
        using var clientB = new MqttClientFactory().CreateMqttClient();
        Assert.Equal(MqttClientConnectResultCode.Success, (await clientA.ConnectAsync(Options(meterA.Token))).ResultCode);
        Assert.Equal(MqttClientConnectResultCode.Success, (await clientB.ConnectAsync(Options(meterB.Token))).ResultCode);
        var refusedV5 = false;
        for (var i = 0; i < MaxSends && !refusedV5; i++)
        {
            var n = ++sequence;
            var puback = await clientA.PublishAsync(Message(meterA, Reading(start, n)));
            if (puback.ReasonCode == MqttClientPublishReasonCode.Success)
            {
                acceptedA.Add(n);
            }
            else
            {
                Assert.Equal(MqttClientPublishReasonCode.QuotaExceeded, puback.ReasonCode);
                refusedV5 = true;
            }

            var m = ++sequence;
            Assert.Equal(MqttClientPublishReasonCode.Success, (await clientB.PublishAsync(Message(meterB, Reading(start, m)))).ReasonCode);
            sentB.Add(m);
        }

        Assert.True(refusedV5, "A was never refused over MQTT 5");
        Assert.True(clientA.IsConnected, "a v5 client over its quota is told so in the PUBACK, not disconnected");

        // MQTT 3.1.1 has no negative PUBACK: the connection closes (and the message, never acknowledged, is not stored).
        await using (var wire = await MqttWire.ConnectAcceptedAsync(e2e.MqttPort, "quota-" + Guid.NewGuid().ToString("N")[..8], meterA.Token, cleanSession: true))
        {
            var closed = false;
            for (ushort packetId = 1; packetId <= MaxSends && !closed; packetId++)
            {
                var n = ++sequence;
                if (await wire.PublishQos1AcknowledgedAsync($"devices/{meterA.Id}/measurements", Reading(start, n), packetId))
                {
                    acceptedA.Add(n);
                }
                else
                {
                    closed = true;
                }
            }

            Assert.True(closed, "A was never refused over MQTT 3.1.1");
        }

        // The quota removed, each of A's devices sends one last point: accepted at once.
        Assert.Equal(JsonValueNull, (await e2e.Api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Delete, path, e2e.OperatorToken)).Json.GetProperty("quota").ValueKind);
        var last = ++sequence;
        Assert.Equal(HttpStatusCode.Accepted, (await SendAsync(http, meterA, Reading(start, last))).Status);
        acceptedA.Add(last);
        const uint lastUplink = MaxSends + 1;
        Assert.Equal(HttpStatusCode.Accepted, (await Senders.WebhookAsync(http, webhookA, Tts(probeA.DevEui!, "AZ9fQ2s1k8mV7xTz0pL3nB==", lastUplink, start.AddSeconds(lastUplink), temperature: lastUplink, humidity: 50))).Status);
        uplinksA.Add(lastUplink);

        // Exactly what was accepted, for both tenants.
        var pointsB = await e2e.Influx.WaitForPointsAsync(meterB.Id, sentB.Count);
        Assert.Equal(sentB.Select(n => (double)n), pointsB.Select(p => p.Number("sequence")));
        var pointsA = await Until.Async(() => e2e.Influx.PointsAsync(meterA.Id), p => p.Any(r => r.Number("sequence") == last), "A's last point");
        Assert.Equal(acceptedA.Select(n => (double)n), pointsA.Select(p => p.Number("sequence")));
        var probePoints = await Until.Async(() => e2e.Influx.PointsAsync(probeA.Id), p => p.Any(r => r.Number("temperature") == lastUplink), "A's last uplink");
        Assert.Equal(uplinksA.Select(f => (double)f), probePoints.Select(p => p.Number("temperature")));
    }

    private const System.Text.Json.JsonValueKind JsonValueNull = System.Text.Json.JsonValueKind.Null;

    private static async Task BWritesAsync(HttpClient http, TestDevice meterB, DateTimeOffset start, int n, List<int> sentB)
    {
        var (status, _, body) = await SendAsync(http, meterB, Reading(start, n));
        Assert.True(status == HttpStatusCode.Accepted, $"B's write {n} during A's flood: {(int)status} {body}");
        sentB.Add(n);
    }

    private async Task<Tenant> NewTenantAsync(string name)
    {
        var user = (await e2e.Api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, "/v1/users", e2e.OperatorToken, new { email = $"quota-{name}-{Guid.NewGuid():N}@example.test" })).Str("token");
        var workspace = (await e2e.Api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/v1/me", user)).Str("homeWorkspaceId");
        return new Tenant(e2e, user, workspace);
    }

    private static async Task<HttpStatusCode> StatusAsync(HttpClient http, TestDevice device, string body, string mediaType)
    {
        using var request = Request(device, body, mediaType);
        using var response = await http.SendAsync(request);
        return response.StatusCode;
    }

    private static async Task<(HttpStatusCode Status, TimeSpan? RetryAfter, string Body)> SendAsync(HttpClient http, TestDevice device, string body)
    {
        using var request = Request(device, body, "application/json");
        using var response = await http.SendAsync(request);
        return (response.StatusCode, response.Headers.RetryAfter?.Delta, await response.Content.ReadAsStringAsync());
    }

    private static HttpRequestMessage Request(TestDevice device, string body, string mediaType)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/devices/{device.Id}/measurements") { Content = new StringContent(body, Encoding.UTF8, mediaType) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", device.Token);
        return request;
    }

    private MqttClientOptions Options(string token) =>
        new MqttClientOptionsBuilder()
            .WithTcpServer("127.0.0.1", e2e.MqttPort)
            .WithProtocolVersion(MqttProtocolVersion.V500)
            .WithClientId("quota-" + Guid.NewGuid().ToString("N")[..8])
            .WithCredentials("x", token)
            .WithTimeout(TimeSpan.FromSeconds(10))
            .Build();

    private static MqttApplicationMessage Message(TestDevice device, string payload) =>
        new MqttApplicationMessageBuilder().WithTopic($"devices/{device.Id}/measurements").WithPayload(payload)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build();

    /// <summary>Sequence <paramref name="n"/> at its own instant: every point is a series point of its own.</summary>
    private static string Reading(DateTimeOffset start, int n) =>
        $$$"""[{"time":"{{{Rfc3339(start.AddMilliseconds(n))}}}","values":{"sequence":{{{n}}} }}]""";

    /// <summary>A user of its own (made by the operator) and its home workspace.</summary>
    private sealed record Tenant(EndToEndHost E2e, string UserToken, string WorkspaceId)
    {
        public async Task<TestDevice> DeviceAsync(string name, string? devEui = null)
        {
            var id = (await E2e.Api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/workspaces/{WorkspaceId}/devices", UserToken, new { name, devEui })).Str("id");
            var token = await E2e.Api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/devices/{id}/tokens", UserToken);
            return new TestDevice(id, token.Str("id"), token.Str("token"), devEui);
        }

        public async Task<TestWebhook> WebhookAsync(TestDevice device)
        {
            var created = await E2e.Api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/workspaces/{WorkspaceId}/webhooks", UserToken,
                new { kind = "tts", devices = new[] { device.Id }, signed = false });
            return new TestWebhook(created.Str("id"), created.Str("token"), null);
        }
    }
}
