using System.Buffers;
using System.Text;
using BenchmarkDotNet.Attributes;
using Datacake.Streams.Access;

namespace Datacake.Streams.Benchmarks.Crypto;

/// <summary>
/// CRC-32 of a token's 43 random characters: the format check runs it on every presented token (bytes, after one
/// narrowing), token creation on the characters. The hand-written slicing-by-8 against System.IO.Hashing.
/// </summary>
[MemoryDiagnoser]
public class Crc32Benchmark
{
    private byte[] _bytes = [];
    private string _text = string.Empty;

    [GlobalSetup]
    public void Setup()
    {
        var random = new byte[AccessToken.RandomByteLength];
        new Random(15).NextBytes(random);
        _text = AccessToken.FromRandomBytes(random).Secret.Substring(AccessToken.Prefix.Length, AccessToken.RandomTextLength);
        _bytes = Encoding.ASCII.GetBytes(_text);
    }

    [Benchmark(Baseline = true)]
    public uint BytesSystemIoHashing() => System.IO.Hashing.Crc32.HashToUInt32(_bytes);

    [Benchmark]
    public uint BytesOwnSlicingBy8() => Crc32.Of(_bytes);

    [Benchmark]
    public uint CharsSystemIoHashing()
    {
        Span<byte> bytes = stackalloc byte[AccessToken.RandomTextLength];
        return Ascii.FromUtf16(_text, bytes, out _) == OperationStatus.Done ? System.IO.Hashing.Crc32.HashToUInt32(bytes) : 0;
    }

    [Benchmark]
    public uint CharsOwnByteWise() => Crc32.OfAscii(_text);
}
