using System.Text;
using CsCheck;
using Datacake.Streams.Access;
using Datacake.Streams.Records;

namespace Datacake.Streams.UnitTests.Core.Records;

public class AdapterSignerTests
{
    private static readonly AdapterKeyring _keyring = AdapterKeyring.CreateRandom(keyId: 3);
    private static readonly AdapterSigner _signer = new(_keyring);

    [Fact]
    public void A_signed_record_verifies_and_carries_the_key_id()
    {
        RawRecordGenerators.Record.Sample(record =>
        {
            var bytes = _signer.EncodeSigned(record);
            Assert.True(RawRecordCodec.TryDecode(bytes, out var decoded, out var error), error.ToString());
            Assert.Equal(3u, decoded.SigningKeyId);
            Assert.True(_signer.Verify(bytes, decoded));
        }, iter: 300);
    }

    [Fact]
    public void The_signer_signs_exactly_as_the_one_shot_hmac_from_many_threads()
    {
        // The signer resumes each key's precomputed pad states from copies; a state written back into the shared
        // one would change every signature after the first, and a context shared across threads would mix two records.
        RawRecordGenerators.Record.Array[200].Sample(records => Parallel.For(0, 8, _ =>
        {
            foreach (var record in records)
            {
                var bytes = _signer.EncodeSigned(record);
                Assert.True(RawRecordCodec.TryDecode(bytes, out var decoded, out var error), error.ToString());
                var expected = System.Security.Cryptography.HMACSHA256.HashData(_keyring.CurrentKey, bytes.AsSpan(0, decoded.SignedLength));
                Assert.Equal(expected, decoded.Signature.ToArray());
                Assert.True(_signer.Verify(bytes, decoded));
            }
        }), iter: 3);
    }

    [Fact]
    public void Any_flipped_byte_fails_decoding_or_verification()
    {
        RawRecordGenerators.Record.Sample(record =>
        {
            var bytes = _signer.EncodeSigned(record);
            for (var i = 0; i < bytes.Length; i++)
            {
                var tampered = (byte[])bytes.Clone();
                tampered[i] ^= 0x01;
                if (RawRecordCodec.TryDecode(tampered, out var decoded, out _))
                {
                    Assert.False(_signer.Verify(tampered, decoded), $"byte {i} of {bytes.Length} flipped and still verified");
                }
            }
        }, iter: 30);
    }

    [Fact]
    public void Another_key_does_not_verify()
    {
        var record = RawRecordGenerators.Record.Single();
        var bytes = _signer.EncodeSigned(record);
        Assert.True(RawRecordCodec.TryDecode(bytes, out var decoded, out _));
        var other = new AdapterSigner(AdapterKeyring.CreateRandom(keyId: 3));
        Assert.False(other.Verify(bytes, decoded));
        var unknownKey = new AdapterSigner(AdapterKeyring.CreateRandom(keyId: 4));
        Assert.False(unknownKey.Verify(bytes, decoded));
    }

    [Fact]
    public void An_unsigned_record_does_not_verify()
    {
        var record = RawRecordGenerators.Record.Single();
        var bytes = RawRecordCodecTests.Encode(record);
        Assert.True(RawRecordCodec.TryDecode(bytes, out var decoded, out _));
        Assert.False(_signer.Verify(bytes, decoded));
    }

    [Fact]
    public void A_record_holds_the_token_fingerprint_never_the_token()
    {
        var token = AccessToken.New();
        var record = RawRecordGenerators.Record.Single() with { Credential = token.Hash };
        var bytes = _signer.EncodeSigned(record);
        var secret = Encoding.UTF8.GetBytes(token.Secret);
        Assert.Equal(-1, bytes.AsSpan().IndexOf(secret));
        Assert.Equal(-1, bytes.AsSpan().IndexOf(secret.AsSpan(AccessToken.Prefix.Length, 16)));
        Assert.True(RawRecordCodec.TryDecode(bytes, out var decoded, out _));
        Assert.Equal(token.Hash, decoded.Credential);
    }
}
