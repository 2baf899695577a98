using System.Security.Cryptography;
using System.Text;
using BenchmarkDotNet.Attributes;
using Datacake.Streams.Access;

namespace Datacake.Streams.Benchmarks.Crypto;

/// <summary>
/// SHA-256 of a presented token (53 ASCII characters, one block), text to <see cref="TokenHash"/>, as the
/// authentication path hashes it: the BCL's one-shot against <see cref="TokenHash.Of"/> (OpenSSL's SHA256_* called
/// directly). Both encode the text and clear the encoded secret. The long rows are the rare path (text past one
/// block: an operator token from a file). The hand-written single-block SHA-256 and BouncyCastle's digest that
/// TokenHash used before were measured beside these at commit 3476695 (docs/BENCHMARKS.md, "Crypto primitives").
/// </summary>
[MemoryDiagnoser]
public class TokenSha256Benchmark
{
    private string _token = string.Empty;
    private string _long = string.Empty;

    [GlobalSetup]
    public void Setup()
    {
        var random = new byte[AccessToken.RandomByteLength];
        new Random(15).NextBytes(random);
        _token = AccessToken.FromRandomBytes(random).Secret;
        _long = string.Concat(Enumerable.Repeat(_token, 3))[..120];
    }

    [Benchmark(Baseline = true)]
    public TokenHash TokenBclHashData() => Bcl(_token);

    [Benchmark]
    public TokenHash TokenOpenSsl() => TokenHash.Of(_token);

    [Benchmark]
    public TokenHash LongBclHashData() => Bcl(_long);

    [Benchmark]
    public TokenHash LongOpenSsl() => TokenHash.Of(_long);

    private static TokenHash Bcl(string text)
    {
        Span<byte> buffer = stackalloc byte[256];
        var length = Encoding.UTF8.GetBytes(text, buffer);
        Span<byte> digest = stackalloc byte[TokenHash.ByteLength];
        SHA256.HashData(buffer[..length], digest);
        CryptographicOperations.ZeroMemory(buffer[..length]);
        return TokenHash.FromBytes(digest);
    }
}
