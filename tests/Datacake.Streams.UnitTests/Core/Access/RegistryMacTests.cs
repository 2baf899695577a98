using System.Security.Cryptography;
using CsCheck;
using Datacake.Streams.Access;
using Datacake.Streams.TestSupport;

namespace Datacake.Streams.UnitTests.Core.Access;

/// <summary>Every <c>dcs.registry</c> value is signed over its exact bytes and its key; anything else is refused.</summary>
public class RegistryMacTests
{
    private static readonly TokenUpserted Owner = new(new TokenGrant { TokenId = "t1", Hash = AccessToken.New().Hash, WorkspaceId = "ws", Role = WorkspaceRole.Owner });

    [Fact]
    public void The_mac_is_an_hmac_of_the_key_and_payload_under_a_key_derived_for_this_purpose()
    {
        var registryKey = RandomNumberGenerator.GetBytes(32);
        var codec = new RegistryChangeCodec(new RegistryMac(registryKey));
        var key = RegistryChangeCodec.EncodeKey(Owner);
        var value = codec.EncodeValue(Owner);

        var macKey = HMACSHA256.HashData(registryKey, "registry-mac-v1"u8);
        var payload = value.AsSpan(RegistryMac.MacLength).ToArray();
        byte[] signed = [0, 0, 0, (byte)key.Length, .. key, .. payload];
        Assert.Equal(HMACSHA256.HashData(macKey, signed), value[..RegistryMac.MacLength]);
        Assert.Equal(codec.EncodePayload(Owner), payload);
        // Not the registry key itself: that one seals webhook secrets.
        Assert.NotEqual(HMACSHA256.HashData(registryKey, signed), value[..RegistryMac.MacLength]);
    }

    [Fact]
    public void Any_flipped_bit_of_the_value_or_another_key_is_refused()
    {
        var codec = TestRegistry.Codec();
        var key = RegistryChangeCodec.EncodeKey(Owner);
        var value = codec.EncodeValue(Owner);
        Assert.Equal(RegistryDecodeStatus.Ok, codec.TryDecode(key, value, out _));

        Gen.Int[0, value.Length - 1].Select(Gen.Int[0, 7]).Sample((at, bit) =>
        {
            var tampered = value.ToArray();
            tampered[at] ^= (byte)(1 << bit);
            Assert.Equal(RegistryDecodeStatus.Unauthenticated, codec.TryDecode(key, tampered, out var change));
            Assert.Null(change);
        });

        // The same signed value under another token's key.
        Assert.Equal(RegistryDecodeStatus.Unauthenticated, codec.TryDecode("token:t2"u8, value, out _));
    }

    [Fact]
    public void A_missing_or_short_mac_or_a_wrong_key_is_refused_removals_included()
    {
        var codec = TestRegistry.Codec();
        var key = RegistryChangeCodec.EncodeKey(Owner);
        var unsigned = codec.EncodePayload(Owner);
        Assert.Equal(RegistryDecodeStatus.Unauthenticated, codec.TryDecode(key, unsigned, out var change));
        Assert.Null(change);
        Assert.Equal(RegistryDecodeStatus.Unauthenticated, codec.TryDecode(key, ReadOnlySpan<byte>.Empty, out change));
        Assert.Null(change);
        Assert.Equal(RegistryDecodeStatus.Unauthenticated, codec.TryDecode(key, new byte[RegistryMac.MacLength - 1], out _));

        var forger = new RegistryChangeCodec(new RegistryMac(RandomNumberGenerator.GetBytes(32)));
        Assert.Equal(RegistryDecodeStatus.Unauthenticated, codec.TryDecode(key, forger.EncodeValue(Owner), out _));
        Assert.Equal(RegistryDecodeStatus.Unauthenticated, codec.TryDecode(key, forger.EncodeValue(new TokenRemoved("t1")), out change));
        Assert.Null(change);

        Assert.Equal(RegistryDecodeStatus.Ok, codec.TryDecode(key, codec.EncodeValue(new TokenRemoved("t1")), out change));
        Assert.Equal(new TokenRemoved("t1"), change);
    }

    [Fact]
    public void During_a_rollover_values_of_both_keys_are_read_and_only_the_current_key_writes()
    {
        var previousKey = RandomNumberGenerator.GetBytes(32);
        var currentKey = RandomNumberGenerator.GetBytes(48);
        var old = new RegistryChangeCodec(new RegistryMac(previousKey));
        var rolling = new RegistryChangeCodec(new RegistryMac(currentKey, previousKey));
        var after = new RegistryChangeCodec(new RegistryMac(currentKey));
        var key = RegistryChangeCodec.EncodeKey(Owner);

        Assert.Equal(RegistryDecodeStatus.Ok, rolling.TryDecode(key, old.EncodeValue(Owner), out _));
        var written = rolling.EncodeValue(Owner);
        Assert.Equal(RegistryDecodeStatus.Ok, after.TryDecode(key, written, out _));
        Assert.Equal(RegistryDecodeStatus.Unauthenticated, old.TryDecode(key, written, out _));
        Assert.Equal(RegistryDecodeStatus.Unauthenticated, after.TryDecode(key, old.EncodeValue(Owner), out _));
    }

    [Fact]
    public void A_registry_key_shorter_than_32_bytes_is_refused()
    {
        Assert.Throws<ArgumentException>(() => new RegistryMac(new byte[31]));
        Assert.Throws<ArgumentException>(() => new RegistryMac(new byte[32], new byte[16]));
    }
}
