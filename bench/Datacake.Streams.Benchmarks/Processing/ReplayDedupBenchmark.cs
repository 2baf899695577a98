using BenchmarkDotNet.Attributes;
using Datacake.Streams.Ids;
using Datacake.Streams.Processing.Dedup;
using Datacake.Streams.Processing.Replay;
using Datacake.Streams.Records;

namespace Datacake.Streams.Benchmarks.Processing;

/// <summary>
/// The per-record replay and dedup cost: ReplayGuard.Check + DuplicateFilter.IsDuplicate on a partition holding
/// 10,000 devices with full 256-key windows (2.56M keys: the worst scan), then Accept of the same record.
/// </summary>
[MemoryDiagnoser]
public class ReplayDedupBenchmark
{
    private const int Records = 1024;
    private static readonly long Now = (DateTimeOffset.UtcNow.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100;

    private readonly RawRecord[] _records = new RawRecord[Records];
    private ReplayGuard _guard = null!;
    private DuplicateFilter _filter = null!;

    [GlobalSetup]
    public void Setup()
    {
        _guard = new ReplayGuard(new ReplayGuardOptions(), TimeProvider.System);
        _filter = new DuplicateFilter(new DuplicateFilterOptions { MaxEntries = 3_000_000 });
        var devices = new DeviceId[10_000];
        for (var d = 0; d < devices.Length; d++)
        {
            devices[d] = DeviceId.New();
            for (var k = 0; k < 256; k++)
            {
                var record = Uplink(devices[d], (uint)k, $"70b3d57ed000{d:x4}/AXAfD5f2nHxwB4oE3aVQ/{k}");
                _guard.Accept(record);
                _filter.Accept(record);
            }
        }

        for (var i = 0; i < Records; i++)
        {
            var d = (i * 7919) % devices.Length;
            _records[i] = Uplink(devices[d], 1_000 + (uint)i, $"70b3d57ed000{d:x4}/AXAfD5f2nHxwB4oE3aVQ/{1_000 + i}") with
            {
                WebhookMessageId = $"msg_{i}",
                RouteId = "hook_1",
            };
        }
    }

    [Benchmark(OperationsPerInvoke = Records)]
    public int CheckPerRecord()
    {
        var passed = 0;
        for (var i = 0; i < _records.Length; i++)
        {
            if (_guard.Check(_records[i]) == ReplayVerdict.Accepted && !_filter.IsDuplicate(_records[i]))
            {
                passed++;
            }
        }

        return passed;
    }

    [Benchmark(OperationsPerInvoke = Records)]
    public int CheckAndAcceptPerRecord()
    {
        // Accepting moves the counters forward, so later iterations see DuplicateCounter: the cost path is the same.
        var passed = 0;
        for (var i = 0; i < _records.Length; i++)
        {
            ref readonly var record = ref _records[i];
            if (_guard.Check(record) == ReplayVerdict.Accepted && !_filter.IsDuplicate(record))
            {
                passed++;
            }

            _guard.Accept(record);
            _filter.Accept(record);
        }

        return passed;
    }

    private static RawRecord Uplink(DeviceId device, uint counter, string key) => new()
    {
        DeviceId = device,
        Source = SourceKind.Tts,
        ReceivedAtUnixNs = Now,
        FrameCounter = counter,
        Session = "AXAfD5f2nHxwB4oE3aVQ",
        MessageId = key,
        PayloadKind = PayloadKind.UplinkJson,
    };
}
