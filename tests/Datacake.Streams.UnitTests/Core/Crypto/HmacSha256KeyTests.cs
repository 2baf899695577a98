using System.Security.Cryptography;
using CsCheck;
using Datacake.Streams.Crypto;

namespace Datacake.Streams.UnitTests.Core.Crypto;

public class HmacSha256KeyTests
{
    [Fact]
    public void Runs_on_openssls_sha256_on_linux()
    {
        // The fast path is the point of the type: on Linux (CI, production) it must not have fallen back silently.
        Assert.True(OperatingSystem.IsLinux());
        Assert.True(new HmacSha256Key(new byte[32]).IsNative, "libcrypto's SHA256_* were not found or failed the self-test");
    }

    [Fact]
    public void Gives_what_the_framework_hmac_gives_for_any_key_and_message()
    {
        // Keys shorter than, equal to and longer than the 64-byte block (hashed first, RFC 2104); messages across
        // block boundaries, empty included.
        Gen.Select(Gen.Byte.Array[0, 150], Gen.Byte.Array[0, 700]).Sample((key, message) =>
        {
            var hmac = new HmacSha256Key(key);
            var mac = new byte[HmacSha256Key.MacLength];
            hmac.Compute(message, mac);
            Assert.Equal(HMACSHA256.HashData(key, message), mac);
            Assert.True(hmac.Verify(message, mac));
        }, iter: 500);
    }

    [Fact]
    public void Refuses_a_mac_with_any_bit_changed()
    {
        Gen.Select(Gen.Byte.Array[1, 300], Gen.Int[0, (HmacSha256Key.MacLength * 8) - 1]).Sample((message, bit) =>
        {
            var hmac = new HmacSha256Key(RandomNumberGenerator.GetBytes(32));
            var mac = new byte[HmacSha256Key.MacLength];
            hmac.Compute(message, mac);
            mac[bit / 8] ^= (byte)(1 << (bit % 8));
            Assert.False(hmac.Verify(message, mac));
        }, iter: 200);
    }

    [Fact]
    public void One_key_serves_many_threads_at_once()
    {
        // The padded-key states are copied per call; a call that wrote into them would change every later MAC.
        var key = RandomNumberGenerator.GetBytes(32);
        var hmac = new HmacSha256Key(key);
        var messages = Enumerable.Range(0, 500).Select(i => RandomNumberGenerator.GetBytes(i % 300)).ToArray();
        Parallel.For(0, 8, _ =>
        {
            var mac = new byte[HmacSha256Key.MacLength];
            foreach (var message in messages)
            {
                hmac.Compute(message, mac);
                Assert.Equal(HMACSHA256.HashData(key, message), mac);
            }
        });
    }
}
