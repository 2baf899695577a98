using System.Text;
using System.Text.Json;
using Datacake.Streams.Access;
using Datacake.Streams.Ids;
using Datacake.Streams.Problems;
using Datacake.Streams.TestSupport;
using Datacake.Streams.UnitTests.Payloads.Networks;

namespace Datacake.Streams.UnitTests.Ingest.Webhooks;

/// <summary>
/// A webhook's token and signing key rotated with an overlap, and paused, as ingest (the handler) and processing
/// (<see cref="RegistryView.AuthorizeWrite"/>) see it, on a <see cref="Microsoft.Extensions.Time.Testing.FakeTimeProvider"/>.
/// </summary>
public sealed class WebhookLifecycleTests
{
    private static readonly byte[] NewSecret = Encoding.ASCII.GetBytes("the-rotated-signing-key-32-bytes");

    private readonly WebhookRig _rig = new();
    private readonly AccessToken _newToken = AccessToken.New();

    [Fact]
    public async Task The_replaced_token_works_until_the_overlap_ends_and_is_refused_from_then_on()
    {
        var overlapEnds = _rig.Clock.GetUtcNow().AddMinutes(30);
        Rotate("wh_tts", _rig.TtsToken, overlapEnds);
        var body = Fixture.Bytes("tts-uplink.json");

        Assert.Equal(202, (await _rig.PostAsync("wh_tts", _rig.TtsToken.Secret, body)).Status);
        Assert.Equal(202, (await _rig.PostAsync("wh_tts", _newToken.Secret, body)).Status);
        Assert.Equal(2, _rig.Appended().Count);

        // The processor's question about a record received inside the overlap, and one received after it.
        Assert.Equal(AuthenticationResult.Ok, _rig.Registry.AuthorizeWrite(_rig.TtsToken.Hash, _rig.TtsDevice, overlapEnds.AddTicks(-1)));
        Assert.Equal(AuthenticationResult.Expired, _rig.Registry.AuthorizeWrite(_rig.TtsToken.Hash, _rig.TtsDevice, overlapEnds));

        _rig.Clock.Advance(TimeSpan.FromMinutes(29) + TimeSpan.FromSeconds(59));
        Assert.Equal(202, (await _rig.PostAsync("wh_tts", _rig.TtsToken.Secret, body)).Status);
        _rig.Clock.Advance(TimeSpan.FromSeconds(1));
        var refused = await _rig.PostAsync("wh_tts", _rig.TtsToken.Secret, body);
        Assert.Equal(401, refused.Status);
        Assert.Equal(ProblemTypes.WebhookUnauthorized, ProblemType(refused));
        Assert.Single(_rig.Appended());
        Assert.Equal(202, (await _rig.PostAsync("wh_tts", _newToken.Secret, body)).Status);
    }

    [Fact]
    [Trait("Reliability", "webhook-secret-rotation")]
    public async Task Rotating_again_ends_the_first_replaced_token_at_once()
    {
        Rotate("wh_tts", _rig.TtsToken, _rig.Clock.GetUtcNow().AddHours(1));
        var third = AccessToken.New();
        _rig.Registry.Apply(new WebhookUpserted(Grant("wh_tts", third.Hash, new TokenRotation(_newToken.Hash, _rig.Clock.GetUtcNow().AddHours(1)))));
        var body = Fixture.Bytes("tts-uplink.json");

        Assert.Equal(401, (await _rig.PostAsync("wh_tts", _rig.TtsToken.Secret, body)).Status);
        Assert.Equal(AuthenticationResult.Unknown, _rig.Registry.AuthorizeWrite(_rig.TtsToken.Hash, _rig.TtsDevice, _rig.Clock.GetUtcNow()));
        Assert.Equal(202, (await _rig.PostAsync("wh_tts", _newToken.Secret, body)).Status);
        Assert.Equal(202, (await _rig.PostAsync("wh_tts", third.Secret, body)).Status);
    }

    [Fact]
    public async Task A_signature_with_the_replaced_key_verifies_until_the_overlap_ends()
    {
        var overlapEnds = _rig.Clock.GetUtcNow().AddMinutes(10);
        _rig.Registry.Apply(new WebhookUpserted(new WebhookGrant
        {
            WebhookId = "wh_signed",
            WorkspaceId = WebhookRig.Workspace,
            Kind = WebhookKind.Tts,
            TokenHash = _rig.SignedToken.Hash,
            Devices = new HashSet<DeviceId> { _rig.TtsDevice },
            SigningSecret = NewSecret,
            SecretRotation = new SigningSecretRotation(WebhookRig.SigningSecret, overlapEnds),
        }));
        var body = Fixture.Bytes("tts-uplink.json");
        var token = _rig.SignedToken.Secret;

        Assert.Equal(202, (await _rig.PostAsync("wh_signed", token, body, headers: _rig.SignatureHeaders("msg_old_1", body))).Status);
        Assert.Equal(202, (await _rig.PostAsync("wh_signed", token, body, headers: _rig.SignatureHeaders("msg_new_1", body, secret: NewSecret))).Status);
        Assert.Equal(2, _rig.Appended().Count);

        _rig.Clock.Advance(TimeSpan.FromMinutes(10));
        var refused = await _rig.PostAsync("wh_signed", token, body, headers: _rig.SignatureHeaders("msg_old_2", body));
        Assert.Equal(401, refused.Status);
        Assert.Equal(ProblemTypes.WebhookSignatureInvalid, ProblemType(refused));
        Assert.Empty(_rig.Appended());
        Assert.Equal(202, (await _rig.PostAsync("wh_signed", token, body, headers: _rig.SignatureHeaders("msg_new_2", body, secret: NewSecret))).Status);
    }

    [Fact]
    public async Task A_paused_webhook_stores_nothing_and_resuming_restores_it()
    {
        var body = Fixture.Bytes("tts-uplink.json");
        _rig.Registry.Apply(new WebhookUpserted(Grant("wh_tts", _rig.TtsToken.Hash, null, pausedAt: _rig.Clock.GetUtcNow())));

        var paused = await _rig.PostAsync("wh_tts", _rig.TtsToken.Secret, body);
        Assert.Equal(423, paused.Status);
        Assert.Equal(ProblemTypes.WebhookDisabled, ProblemType(paused));
        Assert.Empty(_rig.Appended());
        Assert.Equal(AuthenticationResult.Disabled, _rig.Registry.AuthorizeWrite(_rig.TtsToken.Hash, _rig.TtsDevice, _rig.Clock.GetUtcNow()));

        // A wrong token, or a replaced one past its overlap, learns nothing about the pause: the 401 of an unknown webhook.
        Assert.Equal(401, (await _rig.PostAsync("wh_tts", _rig.OtherToken.Secret, body)).Status);
        _rig.Registry.Apply(new WebhookUpserted(Grant("wh_tts", _newToken.Hash, new TokenRotation(_rig.TtsToken.Hash, _rig.Clock.GetUtcNow()), pausedAt: _rig.Clock.GetUtcNow())));
        Assert.Equal(401, (await _rig.PostAsync("wh_tts", _rig.TtsToken.Secret, body)).Status);
        Assert.Equal(423, (await _rig.PostAsync("wh_tts", _newToken.Secret, body)).Status);

        _rig.Registry.Apply(new WebhookUpserted(Grant("wh_tts", _newToken.Hash, null)));
        Assert.Equal(202, (await _rig.PostAsync("wh_tts", _newToken.Secret, body)).Status);
        Assert.Single(_rig.Appended());
    }

    [Fact]
    public void Rotations_and_the_pause_travel_through_the_registry_log_and_the_replaced_key_stays_sealed()
    {
        var key = new byte[RegistrySecretSealer.KeyLength];
        key[0] = 9;
        using var sealer = new RegistrySecretSealer(key);
        var codec = TestRegistry.Codec(sealer);
        var until = new DateTimeOffset(2026, 12, 6, 18, 0, 0, TimeSpan.Zero);
        var previousToken = AccessToken.New();
        var change = new WebhookUpserted(new WebhookGrant
        {
            WebhookId = "wh_1",
            WorkspaceId = "ws",
            Kind = WebhookKind.Tts,
            TokenHash = AccessToken.New().Hash,
            SigningSecret = NewSecret,
            DisabledAt = until.AddHours(-1),
            Rotation = new TokenRotation(previousToken.Hash, until),
            SecretRotation = new SigningSecretRotation(WebhookRig.SigningSecret, until.AddMinutes(5)),
        });

        var value = codec.EncodeValue(change);
        var text = Encoding.UTF8.GetString(value);
        Assert.DoesNotContain(Convert.ToBase64String(WebhookRig.SigningSecret)[..16], text, StringComparison.Ordinal);
        Assert.DoesNotContain("standard-webhooks", text, StringComparison.Ordinal);

        Assert.Equal(RegistryDecodeStatus.Ok, codec.TryDecode(RegistryChangeCodec.EncodeKey(change), value, out var decoded));
        var copy = Assert.IsType<WebhookUpserted>(decoded).Webhook;
        Assert.Equal(change.Webhook.Rotation, copy.Rotation);
        Assert.Equal(change.Webhook.DisabledAt, copy.DisabledAt);
        Assert.Equal(until.AddMinutes(5), copy.SecretRotation!.ValidUntil);
        Assert.Equal(WebhookRig.SigningSecret, copy.SecretRotation.PreviousSecret.ToArray());
        Assert.Equal(NewSecret, copy.SigningSecret!.Value.ToArray());

        // The replaced key sealed as the current one (or the other way round) does not open: the webhook is dropped.
        var payload = Encoding.UTF8.GetString(codec.EncodePayload(change));
        using var document = JsonDocument.Parse(payload);
        var (current, previous) = (document.RootElement.GetProperty("sealedSecret").GetString()!, document.RootElement.GetProperty("sealedPreviousSecret").GetString()!);
        var swapped = payload.Replace(current, "CURRENT", StringComparison.Ordinal)
            .Replace(previous, current, StringComparison.Ordinal)
            .Replace("CURRENT", previous, StringComparison.Ordinal);
        var forged = TestRegistry.Mac.Sign(RegistryChangeCodec.EncodeKey(change), Encoding.UTF8.GetBytes(swapped));
        Assert.Equal(RegistryDecodeStatus.Corrupt, codec.TryDecode(RegistryChangeCodec.EncodeKey(change), forged, out _));
    }

    private void Rotate(string webhookId, AccessToken replaced, DateTimeOffset overlapEnds) =>
        _rig.Registry.Apply(new WebhookUpserted(Grant(webhookId, _newToken.Hash, new TokenRotation(replaced.Hash, overlapEnds))));

    private WebhookGrant Grant(string webhookId, TokenHash token, TokenRotation? rotation, DateTimeOffset? pausedAt = null) => new()
    {
        WebhookId = webhookId,
        WorkspaceId = WebhookRig.Workspace,
        Kind = WebhookKind.Tts,
        TokenHash = token,
        Devices = new HashSet<DeviceId> { _rig.TtsDevice, _rig.TtsMinimalDevice },
        Rotation = rotation,
        DisabledAt = pausedAt,
    };

    private static string? ProblemType(WebhookRig.Reply reply)
    {
        using var problem = JsonDocument.Parse(reply.Body);
        return problem.RootElement.GetProperty("type").GetString();
    }
}
