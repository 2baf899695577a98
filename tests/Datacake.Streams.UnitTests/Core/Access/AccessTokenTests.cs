using System.Security.Cryptography;
using System.Text;
using CsCheck;
using Datacake.Streams.Access;

namespace Datacake.Streams.UnitTests.Core.Access;

public class AccessTokenTests
{
    [Fact]
    public void The_token_hash_is_the_SHA256_of_the_UTF8_bytes_for_any_text()
    {
        // Covers tokens, short and long texts (past the stack buffer) and non-ASCII, against the BCL's SHA-256.
        Gen.OneOf(Gen.String, Gen.String[0, 600], Gen.Const(AccessToken.New().Secret))
            .Sample(text => Assert.Equal(SHA256.HashData(Encoding.UTF8.GetBytes(text)), TokenHash.Of(text).ToBytes()), iter: 5_000);
    }

    private const string Base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    private static readonly Gen<AccessToken> _tokens = Gen.Byte.Array[AccessToken.RandomByteLength].Select(bytes => AccessToken.FromRandomBytes(bytes));

    [Fact]
    public void New_tokens_have_the_fixed_shape_and_pass_the_format_check()
    {
        var tokens = Enumerable.Range(0, 2_000).Select(_ => AccessToken.New().Secret).ToList();
        Assert.Equal(tokens.Count, tokens.Distinct(StringComparer.Ordinal).Count());
        foreach (var token in tokens)
        {
            Assert.Equal(AccessToken.TextLength, token.Length);
            Assert.Equal(53, token.Length);
            Assert.StartsWith("dcs_", token, StringComparison.Ordinal);
            Assert.True(token.AsSpan(4).IndexOfAnyExcept(Base62) < 0, "only base62 digits after the prefix");
            Assert.Equal(TokenFormat.Valid, AccessToken.Validate(token));
        }
    }

    [Fact]
    public void All_zero_and_all_one_random_bytes_encode_at_full_width()
    {
        var zero = AccessToken.FromRandomBytes(new byte[32]).Secret;
        var ones = AccessToken.FromRandomBytes(Enumerable.Repeat((byte)0xFF, 32).ToArray()).Secret;
        Assert.Equal(new string('0', 43), zero[4..47]);
        Assert.True(AccessToken.TryValidateFormat(zero));
        Assert.True(AccessToken.TryValidateFormat(ones));
        Assert.Equal(53, ones.Length);
    }

    [Fact]
    public void Every_single_character_typo_is_caught_by_the_checksum()
    {
        _tokens.Sample(token =>
        {
            var text = token.Secret.ToCharArray();
            for (var position = 4; position < text.Length; position++)
            {
                var original = text[position];
                foreach (var replacement in Base62)
                {
                    if (replacement == original)
                    {
                        continue;
                    }

                    text[position] = replacement;
                    Assert.Equal(TokenFormat.BadChecksum, AccessToken.Validate(text));
                }

                text[position] = original;
            }

            Assert.True(AccessToken.TryValidateFormat(text));
        }, iter: 30);
    }

    [Fact]
    public void Swapping_two_neighbouring_characters_is_caught()
    {
        _tokens.Sample(token =>
        {
            var text = token.Secret.ToCharArray();
            for (var position = 4; position < text.Length - 1; position++)
            {
                if (text[position] == text[position + 1])
                {
                    continue;
                }

                (text[position], text[position + 1]) = (text[position + 1], text[position]);
                Assert.False(AccessToken.TryValidateFormat(text));
                (text[position], text[position + 1]) = (text[position + 1], text[position]);
            }
        }, iter: 100);
    }

    [Theory]
    [InlineData("", TokenFormat.WrongPrefix)]
    [InlineData("dcs", TokenFormat.WrongPrefix)]
    [InlineData("DCS_", TokenFormat.WrongPrefix)]
    [InlineData("ghp_", TokenFormat.WrongPrefix)]
    [InlineData("dcs_", TokenFormat.WrongLength)]
    public void Short_or_foreign_strings_are_refused(string text, TokenFormat expected) =>
        Assert.Equal(expected, AccessToken.Validate(text));

    [Fact]
    public void Wrong_prefix_length_and_alphabet_are_told_apart()
    {
        var token = AccessToken.New().Secret;
        Assert.Equal(TokenFormat.WrongPrefix, AccessToken.Validate("dcx_" + token[4..]));
        Assert.Equal(TokenFormat.WrongLength, AccessToken.Validate(token.AsSpan(0, token.Length - 1)));
        Assert.Equal(TokenFormat.WrongLength, AccessToken.Validate(token + "0"));
        Assert.Equal(TokenFormat.BadCharacter, AccessToken.Validate(string.Concat(token.AsSpan(0, 10), "-", token.AsSpan(11))));
        Assert.Equal(TokenFormat.BadCharacter, AccessToken.Validate(token[..^1] + "é"));
        Assert.Equal(TokenFormat.BadCharacter, AccessToken.Validate(token[..^1] + "\0"));
    }

    [Fact]
    public void Garbage_never_throws_and_is_never_valid()
    {
        Gen.String.Sample(text => Assert.False(AccessToken.TryValidateFormat(text)), iter: 20_000);
        Gen.Char.Array[AccessToken.TextLength].Sample(chars => Assert.False(AccessToken.TryValidateFormat(chars)), iter: 20_000);

        // Right prefix, length and alphabet: only the checksum stands between these and a lookup.
        Gen.Char[Base62].Array[AccessToken.TextLength - 4]
            .Sample(chars => Assert.Equal(TokenFormat.BadChecksum, AccessToken.Validate("dcs_" + new string(chars))), iter: 20_000);
    }

    [Fact]
    public void Parse_accepts_only_well_formed_tokens()
    {
        var token = AccessToken.New();
        Assert.True(AccessToken.TryParse(token.Secret, out var parsed));
        Assert.Equal(token, parsed);
        Assert.False(AccessToken.TryParse(null, out _));
        Assert.False(AccessToken.TryParse(token.Secret.ToUpperInvariant(), out _));
    }

    [Fact]
    public void ToString_never_shows_the_secret()
    {
        var token = AccessToken.New();
        Assert.DoesNotContain(token.Secret[4..], token.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(token.Secret[4..], $"{token}", StringComparison.Ordinal);
    }

    [Fact]
    public void Hash_is_sha256_of_the_utf8_token_and_contains_no_part_of_it()
    {
        _tokens.Sample(token =>
        {
            var expected = SHA256.HashData(Encoding.UTF8.GetBytes(token.Secret));
            var hash = token.Hash;
            Assert.Equal(expected, hash.ToBytes());
            Assert.Equal(Convert.ToHexStringLower(expected), hash.ToHex());

            // Neither the hash bytes nor its text carry the token or a piece of it.
            var hashText = hash.ToHex() + Convert.ToBase64String(hash.ToBytes());
            var secret = token.Secret;
            for (var start = 4; start + 8 <= secret.Length; start += 8)
            {
                Assert.DoesNotContain(secret.Substring(start, 8), hashText, StringComparison.Ordinal);
            }

            Assert.True(TokenHash.TryParseHex(hash.ToHex(), out var parsed));
            Assert.Equal(hash, parsed);
            Assert.Equal(hash.GetHashCode(), parsed.GetHashCode());
        }, iter: 200);
    }

    [Fact]
    public void Hash_of_long_input_uses_the_pool_and_matches_sha256()
    {
        var text = new string('x', 5_000) + "é";
        Assert.Equal(SHA256.HashData(Encoding.UTF8.GetBytes(text)), TokenHash.Of(text).ToBytes());
    }

    [Fact]
    public void A_known_token_keeps_its_text_and_its_hash()
    {
        // Pinned with the code that stored the hashes now in use (single-block SHA-256, slicing-by-8 CRC-32, commit
        // 3476695) and checked with Python's hashlib and zlib: a new SHA-256 or CRC-32 path must leave tokens readable
        // and stored hashes matching.
        var token = AccessToken.FromRandomBytes([.. Enumerable.Range(0, AccessToken.RandomByteLength).Select(i => (byte)i)]);
        Assert.Equal("dcs_003aUlTJC7tjlCTQj2uNU3MFagCXG9LRKRcwGkBIDlf1Yo7hP", token.Secret);
        Assert.Equal("bc2defc1639a8b2da322b2262e657775e3af9fc341cf392f832d8b443553fbbf", token.Hash.ToHex());
        Assert.Equal(TokenFormat.Valid, AccessToken.Validate(token.Secret));

        // Past one SHA-256 block: the path an operator token read from a file takes.
        Assert.Equal(
            "76e9f8cf263091333231a9707c0ce58325970a1ba3d83421d766dae59d8a14fb",
            TokenHash.Of("operator-token-from-a-file-" + new string('x', 60)).ToHex());
    }

    [Fact]
    public void Distinct_tokens_have_distinct_hashes()
    {
        var hashes = Enumerable.Range(0, 5_000).Select(_ => AccessToken.New().Hash).ToHashSet();
        Assert.Equal(5_000, hashes.Count);
    }
}
