using System.Security.Cryptography;
using System.Text;
using CsCheck;
using Datacake.Streams.Access;

namespace Datacake.Streams.UnitTests.Access;

public sealed class SingleBlockSha256Tests
{
    // Printable and control ASCII, every length a single block takes (0-55) and the first ones it must refuse.
    private static readonly Gen<string> s_ascii = Gen.Char[(char)0, (char)127].Array[0, 60].Select(chars => new string(chars));

    [Fact]
    public void Equals_the_BCL_SHA256_for_ASCII_text_up_to_55_bytes_and_refuses_longer_or_non_ASCII_text()
    {
        s_ascii.Sample(
            text =>
            {
                bool hashed = SingleBlockSha256.TryHashAscii(text, out var hash);
                Assert.Equal(text.Length <= SingleBlockSha256.MaxLength, hashed);
                if (hashed)
                {
                    Assert.Equal(SHA256.HashData(Encoding.ASCII.GetBytes(text)), hash.ToBytes());
                }

                // Whatever path it takes, TokenHash.Of is the SHA-256 of the UTF-8 bytes.
                Assert.Equal(SHA256.HashData(Encoding.UTF8.GetBytes(text)), TokenHash.Of(text).ToBytes());
            },
            iter: 100_000);

        Assert.False(SingleBlockSha256.TryHashAscii("é", out _));
        Assert.Equal(SHA256.HashData(Encoding.UTF8.GetBytes("dcs_é")), TokenHash.Of("dcs_é").ToBytes());
    }

    [Fact]
    public void Known_digests_of_the_FIPS_examples()
    {
        Assert.True(SingleBlockSha256.TryHashAscii("abc", out var abc));
        Assert.Equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", abc.ToHex());
        Assert.True(SingleBlockSha256.TryHashAscii(string.Empty, out var empty));
        Assert.Equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", empty.ToHex());
    }

    [Fact]
    public void Slicing_by_8_CRC32_equals_System_IO_Hashing_and_the_char_wise_CRC()
    {
        Gen.Byte[0, 127].Array[0, 100].Sample(
            bytes =>
            {
                uint expected = System.IO.Hashing.Crc32.HashToUInt32(bytes);
                Assert.Equal(expected, Crc32.Of(bytes));
                Assert.Equal(expected, Crc32.OfAscii(Encoding.ASCII.GetString(bytes)));
            },
            iter: 20_000);
    }
}
