using System.Security.Cryptography;
using System.Text;
using BenchmarkDotNet.Attributes;
using Datacake.Streams.Access;
using Datacake.Streams.Records;
using Org.BouncyCastle.Crypto.Digests;

namespace Datacake.Streams.Benchmarks.Crypto;

/// <summary>
/// SHA-256 of a presented token (53 ASCII characters, one block), text to <see cref="TokenHash"/>, as the
/// authentication path hashes it: the BCL's one-shot against the hand-written single block, BouncyCastle's managed
/// digest and OpenSSL's SHA256_* called directly. Each variant encodes the text and clears the encoded secret as
/// production must. The long rows are the rare path (text past one block: operator tokens from a file).
/// </summary>
[MemoryDiagnoser]
public class TokenSha256Benchmark
{
    [ThreadStatic]
    private static Sha256Digest? t_bouncyCastle;

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
    public TokenHash TokenSingleBlock() => SingleBlockSha256.TryHashAscii(_token, out var hash) ? hash : default;

    [Benchmark]
    public TokenHash TokenBouncyCastle() => BouncyCastle(_token);

    [Benchmark]
    public TokenHash TokenOpenSsl() => OpenSsl(_token);

    [Benchmark]
    public TokenHash LongBclHashData() => Bcl(_long);

    [Benchmark]
    public TokenHash LongBouncyCastle() => BouncyCastle(_long);

    [Benchmark]
    public TokenHash LongOpenSsl() => OpenSsl(_long);

    private static TokenHash Bcl(string text)
    {
        Span<byte> buffer = stackalloc byte[256];
        var length = Encoding.UTF8.GetBytes(text, buffer);
        Span<byte> digest = stackalloc byte[TokenHash.ByteLength];
        SHA256.HashData(buffer[..length], digest);
        CryptographicOperations.ZeroMemory(buffer[..length]);
        return TokenHash.FromBytes(digest);
    }

    private static TokenHash BouncyCastle(string text)
    {
        Span<byte> buffer = stackalloc byte[256];
        var length = Encoding.UTF8.GetBytes(text, buffer);
        Span<byte> digest = stackalloc byte[TokenHash.ByteLength];
        var sha256 = t_bouncyCastle ??= new Sha256Digest();
        sha256.BlockUpdate(buffer[..length]);
        sha256.DoFinal(digest);
        CryptographicOperations.ZeroMemory(buffer[..length]);
        return TokenHash.FromBytes(digest);
    }

    private static TokenHash OpenSsl(string text)
    {
        Span<byte> buffer = stackalloc byte[256];
        var length = Encoding.UTF8.GetBytes(text, buffer);
        Span<byte> digest = stackalloc byte[TokenHash.ByteLength];
        var context = OpenSslSha256.Init();
        OpenSslSha256.Update(ref context, buffer[..length]);
        OpenSslSha256.Final(ref context, digest);
        CryptographicOperations.ZeroMemory(buffer[..length]);
        return TokenHash.FromBytes(digest);
    }
}
