using System.Text;
using CsCheck;
using Datacake.Streams.Access;
using Datacake.Streams.Ids;
using Datacake.Streams.TestSupport;

namespace Datacake.Streams.UnitTests.Core.Access;

public class RegistryChangeCodecTests
{
    private readonly RegistryChangeCodec _codec = TestRegistry.Codec();

    [Fact]
    public void Every_change_survives_a_round_trip()
    {
        RegistryGenerators.AnyChange.Sample(change =>
        {
            var key = RegistryChangeCodec.EncodeKey(change);
            var value = _codec.EncodeValue(change);
            Assert.Equal(change.IsRemoval, value.Length == RegistryMac.MacLength);

            Assert.Equal(RegistryDecodeStatus.Ok, _codec.TryDecode(key, value, out var decoded));
            Assert.NotNull(decoded);
            Assert.Equal(change.GetType(), decoded.GetType());
            Assert.Equal(change.Key, decoded.Key);
            Assert.Equal(value, _codec.EncodeValue(decoded));
        }, iter: 2_000);
    }

    [Fact]
    public void A_decoded_token_grant_answers_like_the_original()
    {
        RegistryGenerators.Grants(RegistryGenerators.Ids, RegistryGenerators.DeviceIds, RegistryGenerators.Ids)
            .Select(RegistryGenerators.Times, RegistryGenerators.Hashes)
            .Sample((grant, at, stranger) =>
            {
                var change = new TokenUpserted(grant);
                _codec.TryDecode(RegistryChangeCodec.EncodeKey(change), _codec.EncodeValue(change), out var decoded);
                var copy = Assert.IsType<TokenUpserted>(decoded).Grant;
                Assert.Equal(grant.Hash, copy.Hash);
                Assert.Equal(grant.Devices.ToArray(), copy.Devices.ToArray());
                Assert.Equal(grant.Rotation, copy.Rotation);
                Assert.Equal(grant.StatusAt(grant.Hash, at), copy.StatusAt(grant.Hash, at));
                Assert.Equal(grant.StatusAt(stranger, at), copy.StatusAt(stranger, at));
                if (grant.Rotation is { } rotation)
                {
                    Assert.Equal(grant.StatusAt(rotation.PreviousHash, at), copy.StatusAt(rotation.PreviousHash, at));
                }
            }, iter: 1_000);
    }

    [Fact]
    public void Serialized_changes_never_contain_the_token()
    {
        Gen.Select(RegistryGenerators.Tokens, RegistryGenerators.Tokens, RegistryGenerators.Tokens, RegistryGenerators.DeviceIds).Sample((token, previous, webhookToken, device) =>
        {
            var changes = new RegistryChange[]
            {
                new TokenUpserted(new TokenGrant
                {
                    TokenId = "tok_1", Hash = token.Hash, WorkspaceId = "ws", Role = WorkspaceRole.Admin,
                    Devices = [new DeviceGrant(device, DeviceAccess.ReadWrite)], Rotation = new TokenRotation(previous.Hash, DateTimeOffset.UnixEpoch),
                }),
                new WebhookUpserted(new WebhookGrant
                {
                    WebhookId = "wh_1", WorkspaceId = "ws", Kind = WebhookKind.Particle, TokenHash = webhookToken.Hash, Devices = new HashSet<DeviceId> { device },
                }),
            };

            foreach (var change in changes)
            {
                var bytes = Encoding.UTF8.GetString([.. RegistryChangeCodec.EncodeKey(change), .. _codec.EncodeValue(change)]);
                foreach (var secret in new[] { token.Secret, previous.Secret, webhookToken.Secret })
                {
                    for (var start = 4; start + 16 <= secret.Length; start += 4)
                    {
                        Assert.DoesNotContain(secret.Substring(start, 16), bytes, StringComparison.Ordinal);
                    }
                }
            }
        }, iter: 300);
    }

    [Fact]
    public void A_webhook_signing_key_travels_sealed_and_opens_only_with_the_registry_key_for_that_webhook()
    {
        var key = new byte[RegistrySecretSealer.KeyLength];
        key[0] = 7;
        using var sealer = new RegistrySecretSealer(key);
        var codec = TestRegistry.Codec(sealer);
        var secret = Encoding.ASCII.GetBytes("a-signing-key-of-32-bytes-length");
        var change = new WebhookUpserted(new WebhookGrant
        {
            WebhookId = "wh_1", WorkspaceId = "ws", Kind = WebhookKind.Tts, TokenHash = AccessToken.New().Hash, SigningSecret = secret,
        });

        var value = codec.EncodeValue(change);
        Assert.DoesNotContain("signing-key", Encoding.UTF8.GetString(value), StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToBase64String(secret)[..16], Encoding.UTF8.GetString(value), StringComparison.Ordinal);

        Assert.Equal(RegistryDecodeStatus.Ok, codec.TryDecode(RegistryChangeCodec.EncodeKey(change), value, out var decoded));
        Assert.Equal(secret, Assert.IsType<WebhookUpserted>(decoded).Webhook.SigningSecret!.Value.ToArray());

        // Without the key, with another key, or moved to another webhook's key: the webhook is dropped (fail closed).
        Assert.Equal(RegistryDecodeStatus.Corrupt, _codec.TryDecode(RegistryChangeCodec.EncodeKey(change), value, out var withoutKey));
        Assert.IsType<WebhookRemoved>(withoutKey);
        using var otherSealer = new RegistrySecretSealer(new byte[RegistrySecretSealer.KeyLength]);
        Assert.Equal(RegistryDecodeStatus.Corrupt, TestRegistry.Codec(otherSealer).TryDecode(RegistryChangeCodec.EncodeKey(change), value, out _));
        Assert.Equal(RegistryDecodeStatus.Corrupt, codec.TryDecode("webhook:wh_2"u8, TestRegistry.Mac.Sign("webhook:wh_2"u8, codec.EncodePayload(change)), out _));

        Assert.Throws<InvalidOperationException>(() => _codec.EncodeValue(change));
    }

    [Fact]
    public void Garbage_never_throws()
    {
        Gen.Select(Gen.Byte.Array[0, 40], Gen.Byte.Array[0, 200]).Sample((key, value) =>
        {
            _codec.TryDecode(key, value, out _);
        }, iter: 20_000);

        var prefixes = Gen.OneOf("token:t1", "webhook:w1", "workspace:s1", "device:" + DeviceId.New());
        Gen.Select(prefixes, Gen.String).Sample((key, value) =>
        {
            var status = _codec.TryDecodePayload(Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes(value), out var change);
            if (value.Length > 0 && status != RegistryDecodeStatus.Ok)
            {
                Assert.Equal(RegistryDecodeStatus.Corrupt, status);
                Assert.True(change!.IsRemoval);
            }
        }, iter: 20_000);

        // JSON that parses but is wrong in a field: still a clean Corrupt, never an exception.
        string[] wrong =
        [
            """{"v":2,"id":"t1","hash":"00"}""",
            """{"v":1,"id":"other","hash":"0000000000000000000000000000000000000000000000000000000000000000"}""",
            """{"v":1,"id":"t1","hash":"zz"}""",
            """{"v":1,"id":"t1","hash":"0000000000000000000000000000000000000000000000000000000000000000","role":"Emperor"}""",
            """{"v":1,"id":"t1","hash":"0000000000000000000000000000000000000000000000000000000000000000","devices":[{"id":"dev_x"}]}""",
            """{"v":1,"id":"t1","hash":"0000000000000000000000000000000000000000000000000000000000000000","devices":[null]}""",
            """{"v":1,"id":"t1","hash":"0000000000000000000000000000000000000000000000000000000000000000","previousHash":"00"}""",
            """[1,2,3]""",
            """null""",
        ];
        foreach (var value in wrong)
        {
            Assert.Equal(RegistryDecodeStatus.Corrupt, _codec.TryDecode("token:t1"u8, TestRegistry.Mac.Sign("token:t1"u8, Encoding.UTF8.GetBytes(value)), out var change));
            Assert.Equal(new TokenRemoved("t1"), change);
        }
    }

    [Fact]
    public void Keys_that_name_no_entity_are_skipped()
    {
        foreach (var key in new[] { "barrier:node-1:0", "token:", "device:dev_nonsense", "user:u1", "" })
        {
            Assert.Equal(RegistryDecodeStatus.NotAnEntity, _codec.TryDecode(Encoding.UTF8.GetBytes(key), ReadOnlySpan<byte>.Empty, out var change));
            Assert.Null(change);
        }

        Assert.Equal(RegistryDecodeStatus.NotAnEntity, _codec.TryDecode([0xFF, 0xFE], ReadOnlySpan<byte>.Empty, out _));
    }

    [Fact]
    public void An_unreadable_token_change_removes_the_token_from_the_view()
    {
        var view = new RegistryView();
        var token = AccessToken.New();
        var upsert = new TokenUpserted(new TokenGrant { TokenId = "t1", Hash = token.Hash, WorkspaceId = "ws", Role = WorkspaceRole.Owner });
        Assert.Equal(RegistryDecodeStatus.Ok, _codec.TryDecode(RegistryChangeCodec.EncodeKey(upsert), _codec.EncodeValue(upsert), out var change));
        view.Apply(change!);
        Assert.Equal(AuthenticationResult.Ok, view.Authenticate(token.Secret, out _));

        Assert.Equal(RegistryDecodeStatus.Corrupt, _codec.TryDecode("token:t1"u8, TestRegistry.Mac.Sign("token:t1"u8, """{"v":99}"""u8), out var unreadable));
        view.Apply(unreadable!);
        Assert.Equal(AuthenticationResult.Unknown, view.Authenticate(token.Secret, out _));
    }

    [Fact]
    public void The_wire_format_is_versioned_json_keyed_by_entity()
    {
        var device = DeviceId.New();
        var change = new DeviceUpserted(new DeviceEntry { Id = device, WorkspaceId = "ws_1", DevEui = new DevEui(0x70B3D57ED0000001), DecoderId = "json" });
        Assert.Equal("device:" + device, Encoding.UTF8.GetString(RegistryChangeCodec.EncodeKey(change)));
        var json = Encoding.UTF8.GetString(_codec.EncodePayload(change));
        Assert.StartsWith("""{"v":1,""", json, StringComparison.Ordinal);
        Assert.Contains("\"devEui\":\"70B3D57ED0000001\"", json, StringComparison.Ordinal);
        Assert.DoesNotContain("serial", json, StringComparison.Ordinal);
    }
}
