using BenchmarkDotNet.Attributes;
using Datacake.Streams.RecordLog;
using Datacake.Streams.RecordLog.Faster;

namespace Datacake.Streams.Benchmarks.RecordLog;

/// <summary>
/// Durable appends of 200-byte records to the FasterLog record log with many appends in flight, as the ingest
/// adapters produce them: each append completes only after the group commit that covers it. Reports the time
/// per record; records/s = 1 s / Mean. Acceptance: at least 1M records/s (Mean at most 1 us).
/// </summary>
[MemoryDiagnoser]
public class FasterLogAppendBenchmark
{
    private const int Records = 100_000;
    private const int Keys = 1_000;

    private readonly byte[][] _keys = Enumerable.Range(0, Keys).Select(k => System.Text.Encoding.UTF8.GetBytes($"dev_{k:D26}")).ToArray();
    private readonly byte[] _value = new byte[200];
    private string _directory = "";
    private FasterRecordLog _log = null!;

    /// <summary>Appends awaiting their commit at once (ingest connections with a message in flight).</summary>
    [Params(4_096, 16_384)]
    public int InFlight { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        Random.Shared.NextBytes(_value);
        _directory = Path.Combine(Path.GetTempPath(), "dcs-bench-faster-" + Guid.NewGuid().ToString("N"));
        _log = FasterRecordLog.OpenAsync(new FasterRecordLogOptions { DataDirectory = _directory }).GetAwaiter().GetResult();
        _log.PartitionCount(LogTopics.Raw);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _log.DisposeAsync().AsTask().GetAwaiter().GetResult();
        Directory.Delete(_directory, recursive: true);
    }

    [Benchmark(OperationsPerInvoke = Records)]
    public Task DurableAppends()
    {
        var writers = new Task[InFlight];
        var perWriter = Records / InFlight;
        var extra = Records % InFlight;
        for (var w = 0; w < writers.Length; w++)
        {
            writers[w] = AppendSequentiallyAsync(w, perWriter + (w < extra ? 1 : 0));
        }

        return Task.WhenAll(writers);
    }

    private async Task AppendSequentiallyAsync(int writer, int count)
    {
        var key = _keys[writer % Keys];
        for (var i = 0; i < count; i++)
        {
            await _log.AppendAsync(LogTopics.Raw, key, _value).ConfigureAwait(false);
        }
    }
}
