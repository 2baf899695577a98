using System.Text.Json;
using System.Text;
using Datacake.Streams.Access;
using Datacake.Streams.EdgeAuth;
using Datacake.Streams.Ingest.Webhooks;
using Datacake.Streams.Problems;
using Datacake.Streams.RecordLog;
using Datacake.Streams.Records;
using Datacake.Streams.UnitTests.Payloads.Networks;

namespace Datacake.Streams.UnitTests.Ingest.Webhooks;

public class WebhookIngestHandlerTests
{
    private readonly WebhookRig _rig = new();

    [Fact]
    public async Task A_tts_uplink_becomes_one_signed_anonymous_record()
    {
        var reply = await _rig.PostAsync("wh_tts", _rig.TtsToken.Secret, Fixture.Bytes("tts-uplink.json"));

        Assert.Equal(202, reply.Status);
        var (record, bytes) = Assert.Single(_rig.Appended());
        Assert.Equal(_rig.TtsDevice, record.DeviceId);
        Assert.Equal(SourceKind.Tts, record.Source);
        Assert.Equal(PayloadKind.UplinkFields, record.PayloadKind);
        Assert.Equal("70B3D57ED005A1B2/AY9fQ2s1k8mV7xTz0pL3nA==/1417", record.MessageId);
        Assert.Equal(1417u, record.FrameCounter);
        Assert.Equal("AY9fQ2s1k8mV7xTz0pL3nA==", record.Session);
        Assert.Equal(2u, record.Port);
        Assert.Equal(_rig.TtsToken.Hash, record.Credential);
        Assert.Equal(CredentialKind.Webhook, record.CredentialKind);
        Assert.Equal("wh_tts", record.RouteId);
        Assert.Null(record.WebhookMessageId);
        Assert.Equal(_rig.Clock.GetUtcNow(), record.ReceivedAt);
        AssertAnonymous(bytes, _rig.TtsToken.Secret, "orchard-soil-probe-7", "hillside-orchard");
    }

    [Fact]
    public async Task The_token_may_come_as_a_bearer_token()
    {
        var reply = await _rig.PostAsync("wh_tts", _rig.TtsToken.Secret, Fixture.Bytes("tts-uplink-minimal.json"), bearer: true);
        Assert.Equal(202, reply.Status);
        Assert.Equal(_rig.TtsMinimalDevice, Assert.Single(_rig.Appended()).Record.DeviceId);
    }

    [Fact]
    public async Task Each_kind_routes_its_fixture_to_its_device()
    {
        Assert.Equal(202, (await _rig.PostAsync("wh_chirpstack", _rig.ChirpStackToken.Secret, Fixture.Bytes("chirpstack-up.json"), query: "?event=up")).Status);
        Assert.Equal(202, (await _rig.PostAsync("wh_chirpstack", _rig.ChirpStackToken.Secret, Fixture.Bytes("chirpstack-status.json"), query: "?event=status")).Status);
        Assert.Equal(202, (await _rig.PostAsync("wh_helium", _rig.HeliumToken.Secret, Fixture.Bytes("helium-uplink.json"))).Status);
        Assert.Equal(202, (await _rig.PostAsync("wh_particle", _rig.ParticleToken.Secret, Fixture.Bytes("particle-event.json"))).Status);
        Assert.Equal(202, (await _rig.PostAsync("wh_particle", _rig.ParticleToken.Secret, Fixture.Bytes("particle-event.form"), "application/x-www-form-urlencoded")).Status);

        var records = _rig.Appended().Select(r => r.Record).ToList();
        Assert.Equal(5, records.Count);
        Assert.Equal([_rig.ChirpStackDevice, _rig.ChirpStackDevice, _rig.HeliumDevice, _rig.ParticleDevice, _rig.ParticleDevice], records.Select(r => r.DeviceId));
        Assert.Equal([SourceKind.ChirpStack, SourceKind.ChirpStack, SourceKind.Helium, SourceKind.Particle, SourceKind.Particle], records.Select(r => r.Source));
        Assert.Equal("5f0c7a3e-9b41-4d2a-8c55-1e7f3a9b2d64", records[0].MessageId);
        Assert.Equal("status/5f0c7a3e-9b41-4d2a-8c55-1e7f3a9b2d64", records[1].MessageId);
        Assert.Equal("e4f0a2c6-8b1d-4e3f-a5c7-9d0b2e4f6a81", records[2].MessageId);
        Assert.Equal(records[3].MessageId, records[4].MessageId);

        // The form post is stored as the same allow-listed fields: the data, without event name or account id.
        using var form = JsonDocument.Parse(records[4].Payload);
        Assert.Equal(["device", "data"], form.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.Equal(records[3].Payload.ToArray(), records[4].Payload.ToArray());
        Assert.All(records, r => Assert.Equal(PayloadKind.UplinkFields, r.PayloadKind));
    }

    [Fact]
    public async Task Ignored_events_are_acknowledged_without_a_record()
    {
        var tts = await _rig.PostAsync("wh_tts", _rig.TtsToken.Secret, Fixture.Bytes("tts-join-accept.json"));
        var chirp = await _rig.PostAsync("wh_chirpstack", _rig.ChirpStackToken.Secret, Fixture.Bytes("chirpstack-join.json"), query: "?event=join");

        Assert.Equal(204, tts.Status);
        Assert.Equal(204, chirp.Status);
        Assert.Empty(_rig.Appended());
    }

    [Fact]
    public async Task Unknown_webhook_wrong_token_and_no_token_are_the_same_401()
    {
        var body = Fixture.Bytes("tts-uplink.json");
        var unknown = await _rig.PostAsync("wh_nope", _rig.TtsToken.Secret, body);
        var wrong = await _rig.PostAsync("wh_tts", _rig.ChirpStackToken.Secret, body);
        var none = await _rig.PostAsync("wh_tts", null, body);
        var garbage = await _rig.PostAsync("wh_tts", "not-a-token", body);

        foreach (var reply in new[] { unknown, wrong, none, garbage })
        {
            Assert.Equal(401, reply.Status);
            Assert.Equal(ProblemTypes.WebhookUnauthorized, ProblemType(reply));
        }

        Assert.Equal(unknown.Body.Replace("wh_nope", "wh_tts", StringComparison.Ordinal), wrong.Body);
        Assert.Empty(_rig.Appended());
    }

    [Fact]
    public async Task A_paused_webhook_is_refused_with_423()
    {
        var reply = await _rig.PostAsync("wh_disabled", _rig.DisabledToken.Secret, Fixture.Bytes("tts-uplink.json"));
        Assert.Equal(423, reply.Status);
        Assert.Equal(ProblemTypes.WebhookDisabled, ProblemType(reply));
        Assert.Empty(_rig.Appended());
    }

    [Fact]
    public async Task An_unknown_deveui_is_a_404_naming_it()
    {
        var body = Encoding.UTF8.GetBytes(Fixture.Text("tts-uplink.json").Replace("70B3D57ED005A1B2", "0011223344556677", StringComparison.Ordinal));
        var reply = await _rig.PostAsync("wh_tts", _rig.TtsToken.Secret, body);

        Assert.Equal(404, reply.Status);
        Assert.Equal(ProblemTypes.UnknownDevice, ProblemType(reply));
        using var problem = JsonDocument.Parse(reply.Body);
        Assert.Equal("0011223344556677", problem.RootElement.GetProperty("devEui").GetString());
        Assert.Contains("0011223344556677", problem.RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Empty(_rig.Appended());
    }

    [Fact]
    public async Task A_webhook_cannot_write_a_device_bound_to_another_webhook()
    {
        // wh_other's device exists in the same workspace, but wh_tts is not bound to it.
        var body = Fixture.Bytes("tts-uplink-32bit.json");
        Assert.Equal(404, (await _rig.PostAsync("wh_tts", _rig.TtsToken.Secret, body)).Status);
        Assert.Empty(_rig.Appended());

        // Nor by naming our device id in device_id.
        var byId = Encoding.UTF8.GetBytes($"{{\"end_device_ids\":{{\"device_id\":\"{_rig.OtherTtsDevice}\"}},\"uplink_message\":{{\"f_cnt\":1}}}}");
        Assert.Equal(404, (await _rig.PostAsync("wh_tts", _rig.TtsToken.Secret, byId)).Status);
        Assert.Empty(_rig.Appended());

        Assert.Equal(202, (await _rig.PostAsync("wh_other", _rig.OtherToken.Secret, body)).Status);
        Assert.Equal(_rig.OtherTtsDevice, Assert.Single(_rig.Appended()).Record.DeviceId);
    }

    [Fact]
    public async Task A_signed_webhook_needs_a_valid_fresh_signature()
    {
        var body = Fixture.Bytes("tts-uplink.json");
        var token = _rig.SignedToken.Secret;

        var missing = await _rig.PostAsync("wh_signed", token, body);
        var wrongKey = await _rig.PostAsync("wh_signed", token, body, headers: _rig.SignatureHeaders("msg_1", body, secret: "another-secret-of-32-bytes-long!"u8.ToArray()));
        var stale = await _rig.PostAsync("wh_signed", token, body, headers: _rig.SignatureHeaders("msg_1", body, _rig.Clock.GetUtcNow().AddMinutes(-5).AddSeconds(-1)));
        var otherBody = await _rig.PostAsync("wh_signed", token, body, headers: _rig.SignatureHeaders("msg_1", Fixture.Bytes("tts-uplink-minimal.json")));
        foreach (var (reply, reason) in new[] { (missing, "missing"), (wrongKey, "mismatch"), (stale, "stale"), (otherBody, "mismatch") })
        {
            Assert.Equal(401, reply.Status);
            Assert.Equal(ProblemTypes.WebhookSignatureInvalid, ProblemType(reply));
            using var problem = JsonDocument.Parse(reply.Body);
            Assert.Equal(reason, problem.RootElement.GetProperty("reason").GetString());
        }

        Assert.Empty(_rig.Appended());

        var valid = await _rig.PostAsync("wh_signed", token, body, headers: _rig.SignatureHeaders("msg_1", body, _rig.Clock.GetUtcNow().AddMinutes(-4)));
        Assert.Equal(202, valid.Status);
        Assert.Equal("msg_1", Assert.Single(_rig.Appended()).Record.WebhookMessageId);
    }

    [Fact]
    public async Task An_empty_signing_key_counts_as_none()
    {
        // HMAC with an empty key proves nothing; and byte[] null assigned to the ReadOnlyMemory<byte>? property
        // arrives as empty memory. Such a webhook is token-only rather than unusable.
        _rig.Registry.Apply(new WebhookUpserted(new WebhookGrant
        {
            WebhookId = "wh_empty_key",
            WorkspaceId = WebhookRig.Workspace,
            Kind = WebhookKind.Tts,
            TokenHash = _rig.OtherToken.Hash,
            Devices = new HashSet<Datacake.Streams.Ids.DeviceId> { _rig.TtsDevice },
            SigningSecret = ReadOnlyMemory<byte>.Empty,
        }));

        var reply = await _rig.PostAsync("wh_empty_key", _rig.OtherToken.Secret, Fixture.Bytes("tts-uplink.json"));
        Assert.Equal(202, reply.Status);
        Assert.Null(Assert.Single(_rig.Appended()).Record.WebhookMessageId);
    }

    [Fact]
    public async Task A_malformed_body_is_a_400_with_the_offending_path()
    {
        var body = Encoding.UTF8.GetBytes("{\"end_device_ids\":{\"dev_eui\":\"70B3D57ED005A1B2\"},\"uplink_message\":{\"f_cnt\":-4}}");
        var reply = await _rig.PostAsync("wh_tts", _rig.TtsToken.Secret, body);

        Assert.Equal(400, reply.Status);
        Assert.Equal(ProblemTypes.MalformedBody, ProblemType(reply));
        using var problem = JsonDocument.Parse(reply.Body);
        Assert.Equal("$.uplink_message.f_cnt", problem.RootElement.GetProperty("path").GetString());
        Assert.Empty(_rig.Appended());
    }

    [Fact]
    public async Task Invalid_utf8_is_a_400()
    {
        var body = Encoding.UTF8.GetBytes("{\"end_device_ids\":{\"dev_eui\":\"70B3D57ED005A1B2\"},\"x\":\"??\",\"uplink_message\":{}}");
        body[Array.IndexOf(body, (byte)'?')] = 0xFF;
        Assert.Equal(400, (await _rig.PostAsync("wh_tts", _rig.TtsToken.Secret, body)).Status);
        Assert.Empty(_rig.Appended());
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData("application/json; charset=latin1")]
    [InlineData("")]
    public async Task A_wrong_content_type_is_a_415(string contentType)
    {
        var reply = await _rig.PostAsync("wh_tts", _rig.TtsToken.Secret, Fixture.Bytes("tts-uplink.json"), contentType);
        Assert.Equal(415, reply.Status);
        Assert.Equal(ProblemTypes.UnsupportedMediaType, ProblemType(reply));
        Assert.Empty(_rig.Appended());
    }

    [Fact]
    public async Task A_body_past_the_limit_is_a_413()
    {
        var rig = new WebhookRig(options: new WebhookIngestOptions { MaxBodyBytes = 2048 });
        var body = Encoding.UTF8.GetBytes(Fixture.Text("tts-uplink.json").Replace("\"correlation_ids\"", "\"padding\":\"" + new string('x', 2048) + "\",\"correlation_ids\"", StringComparison.Ordinal));
        var reply = await rig.PostAsync("wh_tts", rig.TtsToken.Secret, body);

        Assert.Equal(413, reply.Status);
        Assert.Equal(ProblemTypes.BodyTooLarge, ProblemType(reply));
        Assert.Empty(rig.Appended());
    }

    [Fact]
    public async Task While_the_log_is_unavailable_the_answer_is_503_with_retry_after()
    {
        var rig = new WebhookRig(new UnavailableRecordLog());
        var reply = await rig.PostAsync("wh_tts", rig.TtsToken.Secret, Fixture.Bytes("tts-uplink.json"));

        Assert.Equal(503, reply.Status);
        Assert.Equal(ProblemTypes.LogUnavailable, ProblemType(reply));
        Assert.Equal("5", reply.RetryAfter);
    }

    [Fact]
    public async Task Failures_past_the_webhooks_budget_get_429_but_its_right_token_and_other_webhooks_still_pass()
    {
        var rig = new WebhookRig(failures: new FailedAuthenticationOptions { FailedAuthenticationBurst = 3, FailedAuthenticationRefill = TimeSpan.FromMinutes(1) });
        var body = Fixture.Bytes("tts-uplink.json");
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(401, (await rig.PostAsync("wh_tts", AccessToken.New().Secret, body)).Status);
        }

        var blocked = await rig.PostAsync("wh_tts", AccessToken.New().Secret, body);
        Assert.Equal(429, blocked.Status);
        Assert.Equal(ProblemTypes.TooManyFailedAuthentications, ProblemType(blocked));
        Assert.Equal("60", blocked.RetryAfter);

        // The sender with the right token is never refused for others' failures from its address (a shared NAT or
        // network server), and another webhook's budget from the same address is untouched.
        Assert.Equal(202, (await rig.PostAsync("wh_tts", rig.TtsToken.Secret, body)).Status);
        Assert.Equal(401, (await rig.PostAsync("wh_other", AccessToken.New().Secret, body)).Status);

        rig.Clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(401, (await rig.PostAsync("wh_tts", AccessToken.New().Secret, body)).Status);
        Assert.Single(rig.Appended());
    }

    private static string? ProblemType(WebhookRig.Reply reply)
    {
        using var problem = JsonDocument.Parse(reply.Body);
        return problem.RootElement.GetProperty("type").GetString();
    }

    private void AssertAnonymous(byte[] recordBytes, string token, params string[] names)
    {
        var text = Encoding.UTF8.GetString(recordBytes);
        Assert.DoesNotContain(token, text, StringComparison.Ordinal);
        Assert.DoesNotContain(WebhookRig.Workspace, text, StringComparison.Ordinal);
        foreach (var name in names)
        {
            Assert.DoesNotContain(name, text, StringComparison.Ordinal);
        }

        Assert.True(_rig.Registry.TryGetDevice(_rig.TtsDevice, out _));
    }

    private sealed class UnavailableRecordLog : IRecordLog
    {
        public int PartitionCount(string topic) => 1;

        public ValueTask<LogPosition> AppendAsync(string topic, ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value, CancellationToken cancellationToken = default) =>
            throw new RecordLogUnavailableException("disk full");

        public IRecordLogConsumer Subscribe(string topic, string group, StartPosition start = StartPosition.Earliest) =>
            new Core.Access.InMemoryRecordLog(1).Subscribe(topic, group, start);

        public ValueTask<bool> IsReachableAsync(CancellationToken cancellationToken = default) => ValueTask.FromResult(false);

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
