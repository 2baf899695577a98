using System.Globalization;
using BenchmarkDotNet.Attributes;
using Datacake.Streams.Access;
using Datacake.Streams.EdgeAuth;
using Datacake.Streams.Ids;

namespace Datacake.Streams.Benchmarks.Access;

/// <summary>
/// Token verification on the hot path of every ingest request: format + checksum, SHA-256, lookup among 1M tokens,
/// scope check for the target device. Target: at most 1 µs median and no allocation per verification.
/// </summary>
[MemoryDiagnoser]
public class TokenVerificationBenchmark
{
    private const int TokenCount = 1_000_000;
    private const int DeviceCount = 1_000;

    // Presented tokens cycle through a sample, so the lookups hit different buckets as real traffic would.
    private const int SampleSize = 1_024;

    private readonly DateTimeOffset _now = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);
    private RegistryView _view = null!;
    private string[] _presented = null!;
    private string[] _headers = null!;
    private TokenHash[] _presentedHashes = null!;
    private DeviceId[] _targets = null!;
    private string _typoHeader = null!;
    private int _next;

    [GlobalSetup]
    public void Load()
    {
        var random = new Random(20261128);
        var devices = Enumerable.Range(0, DeviceCount).Select(_ => DeviceId.New()).ToArray();
        _presented = new string[SampleSize];
        _presentedHashes = new TokenHash[SampleSize];
        _targets = new DeviceId[SampleSize];
        var bytes = new byte[AccessToken.RandomByteLength];

        var before = GC.GetTotalMemory(forceFullCollection: true);
        _view = new RegistryView();
        _view.Apply(new WorkspaceUpserted(new WorkspaceEntry("ws_bench", null)));
        foreach (var device in devices)
        {
            _view.Apply(new DeviceUpserted(new DeviceEntry { Id = device, WorkspaceId = "ws_bench" }));
        }

        var afterDevices = GC.GetTotalMemory(forceFullCollection: true);
        for (var i = 0; i < TokenCount; i++)
        {
            random.NextBytes(bytes);
            var token = AccessToken.FromRandomBytes(bytes);
            var device = devices[i % DeviceCount];

            // Nine in ten are per-device tokens (the common ingest credential), one in ten a workspace editor's.
            var grant = i % 10 == 0
                ? new TokenGrant { TokenId = "tok_" + i.ToString(CultureInfo.InvariantCulture), Hash = token.Hash, WorkspaceId = "ws_bench", Role = WorkspaceRole.Editor }
                : new TokenGrant { TokenId = "tok_" + i.ToString(CultureInfo.InvariantCulture), Hash = token.Hash, WorkspaceId = "ws_bench", Devices = [new DeviceGrant(device, DeviceAccess.ReadWrite)] };
            _view.Apply(new TokenUpserted(grant));

            if (i % (TokenCount / SampleSize) == 0 && i / (TokenCount / SampleSize) < SampleSize)
            {
                var slot = i / (TokenCount / SampleSize);
                _presented[slot] = token.Secret;
                _presentedHashes[slot] = token.Hash;
                _targets[slot] = device;
            }
        }

        var after = GC.GetTotalMemory(forceFullCollection: true);
        var tokenBytes = after - afterDevices;
        Console.WriteLine(
            $"// RegistryView memory: {TokenCount:N0} tokens take {tokenBytes / 1024.0 / 1024.0:F1} MiB ({tokenBytes / (double)TokenCount:F0} bytes/token); " +
            $"{DeviceCount:N0} devices {(afterDevices - before) / 1024.0:F0} KiB; process working set {Environment.WorkingSet / 1024.0 / 1024.0:F0} MiB");

        var typo = _presented[0].ToCharArray();
        typo[10] = typo[10] == 'a' ? 'b' : 'a';
        _typoHeader = $"{EdgeCredentials.BearerScheme} {new string(typo)}";
        _headers = [.. _presented.Select(p => $"{EdgeCredentials.BearerScheme} {p}")];
    }

    /// <summary>The whole check an HTTP ingest request makes: bearer header, format, SHA-256, lookup, device scope.</summary>
    [Benchmark(Baseline = true)]
    public bool VerifyAndAuthorizeWrite()
    {
        var slot = _next = (_next + 1) & (SampleSize - 1);
        var credential = EdgeCredentials.FromAuthorization(_headers[slot].AsSpan());
        return credential.IsWellFormed
            && _view.AuthenticateFingerprint(credential.Hash(), _now, out var grant) == AuthenticationResult.Ok
            && _view.CanWrite(grant!, _targets[slot], _now);
    }

    /// <summary>What a processor does per record: the fingerprint is already a hash.</summary>
    [Benchmark]
    public AuthenticationResult AuthorizeFingerprint()
    {
        var slot = _next = (_next + 1) & (SampleSize - 1);
        return _view.AuthorizeWrite(_presentedHashes[slot], _targets[slot], _now);
    }

    [Benchmark]
    public bool FormatCheckOnly()
    {
        var slot = _next = (_next + 1) & (SampleSize - 1);
        return AccessToken.TryValidateFormat(_presented[slot]);
    }

    [Benchmark]
    public bool FormatCheckOnlyPrevious()
    {
        var slot = _next = (_next + 1) & (SampleSize - 1);
        return PreviousTokenCheck.IsWellFormed(_presented[slot]);
    }

    [Benchmark]
    public TokenHash Sha256Only()
    {
        var slot = _next = (_next + 1) & (SampleSize - 1);
        return TokenHash.Of(_presented[slot]);
    }

    /// <summary>A mistyped token is refused by the checksum, before hashing and lookup.</summary>
    [Benchmark]
    public bool RejectTypo() => EdgeCredentials.FromAuthorization(_typoHeader.AsSpan()).IsWellFormed;
}
