using System.Security.Cryptography;
using CsCheck;
using Datacake.Streams.Crypto;

namespace Datacake.Streams.UnitTests.Core.Crypto;

public sealed class OpenSslSha256Tests
{
    [Fact]
    public void Runs_on_openssls_sha256_on_linux()
    {
        // Token hashes and record MACs take this path; on Linux (CI, production) it must not have fallen back silently.
        Assert.True(OperatingSystem.IsLinux());
        Assert.True(OpenSslSha256.IsAvailable, "libcrypto's SHA256_* were not found or failed the self-test");
    }

    [Fact]
    public void The_one_shot_equals_the_BCL_SHA256_for_any_input()
    {
        // Empty, one block (tokens), across the 55/56-byte padding edge and several blocks.
        Gen.Byte.Array[0, 300].Sample(
            data =>
            {
                var digest = new byte[32];
                OpenSslSha256.HashData(data, digest);
                Assert.Equal(SHA256.HashData(data), digest);
            },
            iter: 20_000);
    }

    [Fact]
    public void Known_digests_of_the_FIPS_examples()
    {
        var digest = new byte[32];
        OpenSslSha256.HashData("abc"u8, digest);
        Assert.Equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", Convert.ToHexStringLower(digest));
        OpenSslSha256.HashData([], digest);
        Assert.Equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", Convert.ToHexStringLower(digest));
        OpenSslSha256.HashData("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"u8, digest);
        Assert.Equal("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1", Convert.ToHexStringLower(digest));
    }

    [Fact]
    public void Hashes_from_many_threads_at_once()
    {
        // The saved initial state is copied per call; a call that wrote into it would change every later digest.
        var messages = Enumerable.Range(0, 500).Select(i => RandomNumberGenerator.GetBytes(i % 200)).ToArray();
        Parallel.For(0, 8, _ =>
        {
            var digest = new byte[32];
            foreach (var message in messages)
            {
                OpenSslSha256.HashData(message, digest);
                Assert.Equal(SHA256.HashData(message), digest);
            }
        });
    }
}
