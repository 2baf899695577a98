using System.Globalization;
using System.Net.Http.Headers;
using System.Net;
using System.Text.Json;
using System.Text;
using Datacake.Streams.Access;
using Datacake.Streams.Ingest.Webhooks;
using Datacake.Streams.IntegrationTests.Services;
using Datacake.Streams.Problems;
using Datacake.Streams.Records;

namespace Datacake.Streams.IntegrationTests.Ingest.Webhooks;

/// <summary>
/// Webhook ingest end to end: real Kestrel, real HTTP clients (HttpClient, curl), FasterLog on disk, registry
/// changes through <c>dcs.registry</c>. Every refusal also checks that nothing reached <c>dcs.raw</c>.
/// </summary>
public sealed class WebhookIngestTests : IAsyncLifetime
{
    private static readonly TimeSpan _recordDeadline = TimeSpan.FromSeconds(10);
    private WebhookIngestServer _server = null!;

    public async Task InitializeAsync() => _server = await WebhookIngestServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_tts_uplink_lands_on_the_log_anonymous_with_its_dedup_key()
    {
        var device = await _server.AddDeviceAsync(devEui: "70B3D57ED005A1B2");
        var token = await _server.AddWebhookAsync("wh_tts_it", WebhookKind.Tts, [device]);
        var raw = _server.ReadRaw();

        using var response = await PostAsync("wh_tts_it", token.Secret, "tts-uplink.json");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var (record, bytes) = raw.Next(_recordDeadline) ?? throw new Xunit.Sdk.XunitException("no record on dcs.raw");
        Assert.Equal(device, record.DeviceId);
        Assert.Equal(SourceKind.Tts, record.Source);
        Assert.Equal("70B3D57ED005A1B2/AY9fQ2s1k8mV7xTz0pL3nA==/1417", record.MessageId);
        Assert.Equal(1417u, record.FrameCounter);
        Assert.Equal("AY9fQ2s1k8mV7xTz0pL3nA==", record.Session);
        Assert.Equal(token.Hash, record.Credential);
        Assert.Equal(CredentialKind.Webhook, record.CredentialKind);
        Assert.Equal("wh_tts_it", record.RouteId);
        AssertAnonymous(bytes, token, "orchard-soil-probe-7", "hillside-orchard");
        raw.AssertNothingMore();
    }

    [Fact]
    public async Task A_chirpstack_up_event_lands_with_deduplication_id_counter_and_devaddr_session()
    {
        var device = await _server.AddDeviceAsync(devEui: "A84041000181C0DE");
        var token = await _server.AddWebhookAsync("wh_cs_it", WebhookKind.ChirpStack, [device]);
        var raw = _server.ReadRaw();

        using var response = await PostAsync("wh_cs_it?event=up", token.Secret, "chirpstack-up.json");
        using var ignored = await PostAsync("wh_cs_it?event=join", token.Secret, "chirpstack-join.json");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, ignored.StatusCode);
        var (record, bytes) = raw.Next(_recordDeadline) ?? throw new Xunit.Sdk.XunitException("no record on dcs.raw");
        Assert.Equal(device, record.DeviceId);
        Assert.Equal(SourceKind.ChirpStack, record.Source);
        Assert.Equal("5f0c7a3e-9b41-4d2a-8c55-1e7f3a9b2d64", record.MessageId);
        Assert.Equal(65535u, record.FrameCounter);
        Assert.Equal("01fe6a2b", record.Session);
        AssertAnonymous(bytes, token, "Greenhouse north probe", "Hillside Farms", "Orchard sensors");
        raw.AssertNothingMore();
    }

    [Fact]
    public async Task A_helium_uplink_lands_with_its_message_id_and_counter()
    {
        var device = await _server.AddDeviceAsync(devEui: "6081F9A3B5D7E9F1");
        var token = await _server.AddWebhookAsync("wh_he_it", WebhookKind.Helium, [device]);
        var raw = _server.ReadRaw();

        using var response = await PostAsync("wh_he_it", token.Secret, "helium-uplink.json", bearer: true);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var (record, bytes) = raw.Next(_recordDeadline) ?? throw new Xunit.Sdk.XunitException("no record on dcs.raw");
        Assert.Equal(device, record.DeviceId);
        Assert.Equal(SourceKind.Helium, record.Source);
        Assert.Equal("e4f0a2c6-8b1d-4e3f-a5c7-9d0b2e4f6a81", record.MessageId);
        Assert.Equal(65535u, record.FrameCounter);
        Assert.Equal("48000037", record.Session);
        AssertAnonymous(bytes, token, "Warehouse door sensor", "8f2e6d4c-1a3b-4c5d-9e7f-0a1b2c3d4e5f");
    }

    [Fact]
    public async Task A_particle_form_post_from_curl_lands_as_its_allowed_fields_keyed_by_coreid_published_at_and_event_hash()
    {
        var device = await _server.AddDeviceAsync(particleId: "e00fce68a1b2c3d4e5f6a7b8");
        var token = await _server.AddWebhookAsync("wh_pa_it", WebhookKind.Particle, [device]);
        var raw = _server.ReadRaw();
        var form = Path.Combine(AppContext.BaseDirectory, "Payloads", "Networks", "Fixtures", "particle-event.form");

        var curl = await ExternalCommand.RunAsync("curl", TimeSpan.FromSeconds(30),
            "-sS", "-o", "/dev/null", "-w", "%{http_code}",
            "-H", $"X-Webhook-Token: {token.Secret}",
            "-H", "Content-Type: application/x-www-form-urlencoded",
            "--data-binary", "@" + form,
            new Uri(_server.BaseAddress, "/v1/webhooks/wh_pa_it").ToString());

        Assert.Equal(0, curl.ExitCode);
        Assert.Equal("202", curl.Output.Trim());
        var (record, bytes) = raw.Next(_recordDeadline) ?? throw new Xunit.Sdk.XunitException("no record on dcs.raw");
        Assert.Equal(device, record.DeviceId);
        Assert.Equal(SourceKind.Particle, record.Source);
        Assert.Matches("^e00fce68a1b2c3d4e5f6a7b8/2024-05-14T09:41:27.519Z/[0-9a-f]{16}$", record.MessageId);
        Assert.Null(record.FrameCounter);
        using var payload = JsonDocument.Parse(record.Payload);
        Assert.Equal("{\"temperature\":23.2,\"humidity\":41}", payload.RootElement.GetProperty("data").GetString());
        AssertAnonymous(bytes, token, "5c1e8f0a2b3d4e5f6a7b8c9d", "greenhouse/climate");

        // The JSON form of the same event carries the same dedup key.
        using var json = await PostAsync("wh_pa_it", token.Secret, "particle-event.json");
        Assert.Equal(HttpStatusCode.Accepted, json.StatusCode);
        Assert.Equal(record.MessageId, raw.Next(_recordDeadline)?.Record.MessageId);
    }

    [Fact]
    [Trait("Reliability", "webhook-signature")]
    public async Task A_signed_webhook_accepts_a_valid_signature_and_refuses_missing_wrong_or_stale_ones()
    {
        var secret = Encoding.UTF8.GetBytes("integration-test-signing-secret!");
        var device = await _server.AddDeviceAsync(devEui: "70B3D57ED005A1B2");
        var token = await _server.AddWebhookAsync("wh_signed_it", WebhookKind.Tts, [device], secret);
        var raw = _server.ReadRaw();
        var body = Fixture("tts-uplink.json");
        var now = DateTimeOffset.UtcNow;

        using var missing = await PostSignedAsync("wh_signed_it", token.Secret, body, null);
        using var wrong = await PostSignedAsync("wh_signed_it", token.Secret, body, Sign("integration-test-OTHER-secret-xx"u8.ToArray(), "msg_a", now, body));
        using var stale = await PostSignedAsync("wh_signed_it", token.Secret, body, Sign(secret, "msg_a", now.AddMinutes(-10), body));
        foreach (var refused in new[] { missing, wrong, stale })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            Assert.Equal(ProblemTypes.WebhookSignatureInvalid, await ProblemTypeAsync(refused));
        }

        raw.AssertNothingMore();

        using var valid = await PostSignedAsync("wh_signed_it", token.Secret, body, Sign(secret, "msg_a", now, body));
        Assert.Equal(HttpStatusCode.Accepted, valid.StatusCode);
        var record = raw.Next(_recordDeadline)?.Record ?? throw new Xunit.Sdk.XunitException("no record on dcs.raw");
        Assert.Equal("msg_a", record.WebhookMessageId);
        Assert.Equal(device, record.DeviceId);
    }

    [Fact]
    public async Task An_unknown_deveui_is_a_404_naming_it_and_nothing_is_appended()
    {
        var device = await _server.AddDeviceAsync(devEui: "70B3D57ED005A1B2");
        var token = await _server.AddWebhookAsync("wh_404_it", WebhookKind.Tts, [device]);
        var raw = _server.ReadRaw();

        using var response = await PostAsync("wh_404_it", token.Secret, "tts-uplink-32bit.json");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(ProblemTypes.UnknownDevice, problem.RootElement.GetProperty("type").GetString());
        Assert.Equal("70B3D57ED005A1B4", problem.RootElement.GetProperty("devEui").GetString());
        raw.AssertNothingMore();
    }

    [Fact]
    [Trait("Reliability", "lorawan")]
    public async Task A_wrong_token_is_a_401_and_nothing_is_appended()
    {
        var device = await _server.AddDeviceAsync(devEui: "70B3D57ED005A1B2");
        await _server.AddWebhookAsync("wh_401_it", WebhookKind.Tts, [device]);
        var raw = _server.ReadRaw();

        using var wrong = await PostAsync("wh_401_it", AccessToken.New().Secret, "tts-uplink.json");
        using var unknown = await PostAsync("wh_does_not_exist", AccessToken.New().Secret, "tts-uplink.json");

        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, unknown.StatusCode);
        Assert.Equal(ProblemTypes.WebhookUnauthorized, await ProblemTypeAsync(wrong));
        Assert.Equal(ProblemTypes.WebhookUnauthorized, await ProblemTypeAsync(unknown));
        raw.AssertNothingMore();
    }

    [Fact]
    public async Task A_webhook_token_cannot_write_a_device_bound_to_another_webhook()
    {
        var mine = await _server.AddDeviceAsync(devEui: "70B3D57ED005A1B2");
        var theirs = await _server.AddDeviceAsync(devEui: "70B3D57ED005A1B4");
        var token = await _server.AddWebhookAsync("wh_mine_it", WebhookKind.Tts, [mine]);
        await _server.AddWebhookAsync("wh_theirs_it", WebhookKind.Tts, [theirs]);
        var raw = _server.ReadRaw();

        using var byEui = await PostAsync("wh_mine_it", token.Secret, "tts-uplink-32bit.json");
        using var byId = await PostRawAsync("wh_mine_it", token.Secret,
            Encoding.UTF8.GetBytes($"{{\"end_device_ids\":{{\"device_id\":\"{theirs}\"}},\"uplink_message\":{{\"f_cnt\":9}}}}"), "application/json");

        Assert.Equal(HttpStatusCode.NotFound, byEui.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, byId.StatusCode);
        raw.AssertNothingMore();
    }

    [Fact]
    [Trait("Reliability", "oversized-and-deep-json")]
    public async Task Size_and_media_type_limits_refuse_before_anything_is_stored()
    {
        await using var small = await WebhookIngestServer.StartAsync(new Dictionary<string, string?> { ["Ingest:Webhooks:MaxBodyBytes"] = "4096" });
        var device = await small.AddDeviceAsync(devEui: "70B3D57ED005A1B2");
        var token = await small.AddWebhookAsync("wh_limits_it", WebhookKind.Tts, [device]);
        var raw = small.ReadRaw();
        var large = Encoding.UTF8.GetBytes("{\"padding\":\"" + new string('x', 5000) + "\"}");

        using var tooLarge = await SendAsync(small.Http, "wh_limits_it", token.Secret, large, "application/json");
        using var wrongType = await SendAsync(small.Http, "wh_limits_it", token.Secret, Fixture("tts-uplink.json"), "text/plain");
        using var malformed = await SendAsync(small.Http, "wh_limits_it", token.Secret, "{\"uplink_message\":{\"f_cnt\":true}}"u8.ToArray(), "application/json");

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLarge.StatusCode);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, wrongType.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        using var problem = JsonDocument.Parse(await malformed.Content.ReadAsStringAsync());
        Assert.Equal("$.uplink_message.f_cnt", problem.RootElement.GetProperty("path").GetString());
        raw.AssertNothingMore();
    }

    private static byte[] Fixture(string name) => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Payloads", "Networks", "Fixtures", name));

    private Task<HttpResponseMessage> PostAsync(string pathAndQuery, string token, string fixture, bool bearer = false) =>
        PostRawAsync(pathAndQuery, token, Fixture(fixture), "application/json", bearer);

    private Task<HttpResponseMessage> PostRawAsync(string pathAndQuery, string token, byte[] body, string contentType, bool bearer = false) =>
        SendAsync(_server.Http, pathAndQuery, token, body, contentType, bearer);

    private static async Task<HttpResponseMessage> SendAsync(HttpClient http, string pathAndQuery, string token, byte[] body, string contentType, bool bearer = false)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/webhooks/" + pathAndQuery) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        if (bearer)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        else
        {
            request.Headers.Add(WebhookIngestHandler.TokenHeader, token);
        }

        return await http.SendAsync(request);
    }

    private async Task<HttpResponseMessage> PostSignedAsync(string webhookId, string token, byte[] body, (string Id, string Stamp, string Signature)? signature)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/webhooks/" + webhookId) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Add(WebhookIngestHandler.TokenHeader, token);
        if (signature is { } s)
        {
            request.Headers.Add(StandardWebhookSignature.IdHeader, s.Id);
            request.Headers.Add(StandardWebhookSignature.TimestampHeader, s.Stamp);
            request.Headers.Add(StandardWebhookSignature.SignatureHeader, s.Signature);
        }

        return await _server.Http.SendAsync(request);
    }

    private static (string, string, string) Sign(byte[] secret, string id, DateTimeOffset at, byte[] body)
    {
        var stamp = at.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        return (id, stamp, StandardWebhookSignature.Sign(secret, id, stamp, body));
    }

    private static async Task<string?> ProblemTypeAsync(HttpResponseMessage response)
    {
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return problem.RootElement.GetProperty("type").GetString();
    }

    private static void AssertAnonymous(byte[] recordBytes, AccessToken token, params string[] names)
    {
        var text = Encoding.UTF8.GetString(recordBytes);
        Assert.DoesNotContain(token.Secret, text, StringComparison.Ordinal);
        Assert.DoesNotContain(WebhookIngestServer.Workspace, text, StringComparison.Ordinal);
        foreach (var name in names)
        {
            Assert.DoesNotContain(name, text, StringComparison.Ordinal);
        }
    }
}
