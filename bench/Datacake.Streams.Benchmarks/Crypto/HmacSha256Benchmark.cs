using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using Datacake.Streams.Crypto;

namespace Datacake.Streams.Benchmarks.Crypto;

/// <summary>
/// HMAC-SHA256 of a 220-byte record (what every record costs twice: signed by ingest, verified by processing) and
/// the 32-byte MAC comparison of the verify: the hand-written key (pads hashed once, OpenSSL's SHA256_* on copied
/// contexts) against the BCL's one-shot and a reused <see cref="IncrementalHash"/>.
/// </summary>
[MemoryDiagnoser]
public class HmacSha256Benchmark
{
    private readonly byte[] _mac = new byte[HmacSha256Key.MacLength];
    private byte[] _key = [];
    private byte[] _record = [];
    private byte[] _expected = [];
    private HmacSha256Key _hmac = null!;
    private IncrementalHash _incremental = null!;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(15);
        _key = new byte[32];
        random.NextBytes(_key);
        _record = new byte[220];
        random.NextBytes(_record);
        _hmac = new HmacSha256Key(_key);
        _incremental = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, _key);
        _expected = HMACSHA256.HashData(_key, _record);
    }

    [GlobalCleanup]
    public void Cleanup() => _incremental.Dispose();

    [Benchmark(Baseline = true)]
    public int MacBclOneShot() => HMACSHA256.HashData(_key, _record, _mac);

    [Benchmark]
    public int MacBclIncrementalReused()
    {
        _incremental.AppendData(_record);
        _incremental.TryGetHashAndReset(_mac, out var written);
        return written;
    }

    [Benchmark]
    public int MacOwnPrecomputedPads()
    {
        _hmac.Compute(_record, _mac);
        return _mac[0];
    }

    [Benchmark]
    public bool CompareBclFixedTimeEquals() => CryptographicOperations.FixedTimeEquals(_expected, _mac);

    [Benchmark]
    public bool CompareOwnVector() => HmacSha256Key.MacEquals(_expected, _mac);
}
