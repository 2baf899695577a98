using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Datacake.Streams.Access;
using Datacake.Streams.Problems;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;
using static Datacake.Streams.IntegrationTests.EndToEnd.UplinkBodies;

namespace Datacake.Streams.IntegrationTests.EndToEnd;

/// <summary>
/// Failed-authentication budgets between two tenants behind one address (a LoRaWAN network server, a carrier NAT),
/// through the real executable: tenant B guesses tokens from 127.0.0.1 until every edge answers 429 (or MQTT's
/// connection-rate-exceeded), and tenant A's valid requests from the same address all pass right after.
/// </summary>
/// <remarks>
/// B aims where it hurts most: at A's device id on HTTP ingest, under the MQTT user name A's gateway uses, and with
/// A's token prefix on the API; its webhook guesses go to its own webhook URL. A's credentials are known to ingest
/// before B starts (probes that authenticate but store nothing), so A's single sends afterwards are judged at once.
/// </remarks>
[Collection(EndToEndCollection.Name)]
public sealed class FailedAuthenticationTenancyTests(EndToEndHost e2e)
{
    private const int Attempts = 30;

    [Fact]
    public async Task Another_tenants_failures_from_the_same_address_never_refuse_a_valid_credential()
    {
        var http = e2e.Host.Http;
        var deviceA = await e2e.NewDeviceAsync("Tenant A meter");
        var probeA = await e2e.NewDeviceAsync("Tenant A probe", devEui: "70B3D57ED006" + System.Security.Cryptography.RandomNumberGenerator.GetHexString(4));
        var webhookA = await e2e.NewWebhookAsync("tts", signed: false, probeA);
        var webhookB = await NewOtherTenantsWebhookAsync();
        var gateway = "gw-" + Guid.NewGuid().ToString("N")[..8];

        // A is known to ingest: each probe authenticates and is then refused for its content, storing nothing.
        await Until.Async(() => MeasurementAsync(http, deviceA.Id, deviceA.Token, "{}", "text/plain"), s => s == HttpStatusCode.UnsupportedMediaType, "A's device token at ingest");
        await Until.Async(async () => (await Senders.WebhookAsync(http, webhookA, "{")).Status, s => s == HttpStatusCode.BadRequest, "A's webhook at ingest");
        await Until.Async(async () => await ConnectAsync(gateway, deviceA.Token), c => c == MqttClientConnectResultCode.Success, "A's token at the broker");

        // B: 30 guesses on each edge, until refused for too many failures.
        await UntilTooManyAsync("HTTP ingest", () => MeasurementAsync(http, deviceA.Id, AccessToken.New().Secret, """{"t":1}""", "application/json"));
        await UntilTooManyAsync("B's webhook", async () => (await Senders.WebhookAsync(http, webhookB with { Token = AccessToken.New().Secret }, "{}")).Status);
        await UntilTooManyAsync("the API", async () => (await e2e.Api.GetAsync("/v1/me", Mimic(e2e.OwnerToken))).Status);
        var mqtt = MqttClientConnectResultCode.Success;
        for (var i = 0; i < Attempts && mqtt != MqttClientConnectResultCode.ConnectionRateExceeded; i++)
        {
            mqtt = await ConnectAsync(gateway, AccessToken.New().Secret);
            Assert.True(mqtt is MqttClientConnectResultCode.BadUserNameOrPassword or MqttClientConnectResultCode.ConnectionRateExceeded, $"MQTT guess {i}: {mqtt}");
        }

        Assert.Equal(MqttClientConnectResultCode.ConnectionRateExceeded, mqtt);

        // A, right after, from the same address: every valid request passes the first time.
        var start = DateTimeOffset.UtcNow.AddMinutes(-3).AddTicks(4321);
        Assert.Equal(HttpStatusCode.Accepted, await MeasurementAsync(http, deviceA.Id, deviceA.Token, Reading(start, 1), "application/json"));
        var body = Tts(probeA.DevEui!, "AY9fQ2s1k8mV7xTz0pL3nA==", 7, start, temperature: 19.5, humidity: 40, new Gateway("roof-gw", "B827EBFFFE61A3C4", -97, 7.25));
        var webhook = await Senders.WebhookAsync(http, webhookA, body);
        Assert.True(webhook.Status == HttpStatusCode.Accepted, $"A's webhook: {(int)webhook.Status} {webhook.Body}");
        using (var client = new MqttClientFactory().CreateMqttClient())
        {
            Assert.Equal(MqttClientConnectResultCode.Success, (await client.ConnectAsync(Options(gateway, deviceA.Token))).ResultCode);
            var puback = await client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic($"devices/{deviceA.Id}/measurements")
                .WithPayload(Reading(start.AddSeconds(1), 2)).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());
            Assert.Equal(MqttClientPublishReasonCode.Success, puback.ReasonCode);
        }

        await e2e.Api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/v1/me", e2e.OwnerToken);

        // Exactly A's points: HTTP and MQTT on the meter, the uplink on the probe.
        var meter = await e2e.Influx.WaitForPointsAsync(deviceA.Id, 2);
        Assert.Equal([UnixNs(start), UnixNs(start.AddSeconds(1))], meter.Select(p => p.TimeNs).ToArray());
        Assert.Equal([1.0, 2.0], meter.Select(p => p.Number("sequence")).ToArray());
        var probe = Assert.Single(await e2e.Influx.WaitForPointsAsync(probeA.Id, 1));
        Assert.Equal(19.5, probe.Number("temperature"));
    }

    /// <summary>Sends up to 30 guesses; each is 401 until one is 429 with Retry-After, which must come.</summary>
    private static async Task UntilTooManyAsync(string edge, Func<Task<HttpStatusCode>> guess)
    {
        for (var i = 0; i < Attempts; i++)
        {
            var status = await guess();
            if (status == HttpStatusCode.TooManyRequests)
            {
                return;
            }

            Assert.True(status == HttpStatusCode.Unauthorized, $"{edge}: guess {i} answered {(int)status}");
        }

        Assert.Fail($"{edge}: {Attempts} bad tokens and no 429");
    }

    /// <summary>A token with <paramref name="token"/>'s prefix and a random rest: refused, but aimed at that prefix's budget.</summary>
    private static string Mimic(string token) => token[..12] + AccessToken.New().Secret[12..^1] + (token[^1] == 'a' ? 'b' : 'a');

    private async Task<TestWebhook> NewOtherTenantsWebhookAsync()
    {
        var user = (await e2e.Api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, "/v1/users", e2e.OperatorToken, new { email = $"b-{Guid.NewGuid():N}@example.test" })).Str("token");
        var workspace = (await e2e.Api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/v1/me", user)).Str("homeWorkspaceId");
        var device = (await e2e.Api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/workspaces/{workspace}/devices", user,
            new { name = "B's probe", devEui = "70B3D57ED007" + System.Security.Cryptography.RandomNumberGenerator.GetHexString(4) })).Str("id");
        var created = await e2e.Api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/workspaces/{workspace}/webhooks", user,
            new { kind = "tts", devices = new[] { device }, signed = false });
        return new TestWebhook(created.Str("id"), created.Str("token"), null);
    }

    private static async Task<HttpStatusCode> MeasurementAsync(HttpClient http, string device, string token, string body, string mediaType)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/devices/{device}/measurements") { Content = new StringContent(body, Encoding.UTF8, mediaType) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await http.SendAsync(request);
        if (response.StatusCode == HttpStatusCode.TooManyRequests)
        {
            Assert.True(response.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1), "429 without Retry-After");
            Assert.Contains(ProblemTypes.TooManyFailedAuthentications, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        return response.StatusCode;
    }

    private async Task<MqttClientConnectResultCode> ConnectAsync(string userName, string token)
    {
        using var client = new MqttClientFactory().CreateMqttClient();
        var result = await client.ConnectAsync(Options(userName, token));
        if (client.IsConnected)
        {
            await client.DisconnectAsync();
        }

        return result.ResultCode;
    }

    private MqttClientOptions Options(string userName, string token) =>
        new MqttClientOptionsBuilder()
            .WithTcpServer("127.0.0.1", e2e.MqttPort)
            .WithProtocolVersion(MqttProtocolVersion.V500)
            .WithCredentials(userName, token)
            .WithTimeout(TimeSpan.FromSeconds(10))
            .Build();
}
