using System.Globalization;
using BenchmarkDotNet.Attributes;
using Datacake.Streams.Influx.LineProtocol;

namespace Datacake.Streams.Benchmarks.Influx;

/// <summary>Why FloatFormatter exists: three sensor readings, its fast path against the BCL's shortest round-trip.</summary>
[MemoryDiagnoser]
[MinColumn]
[MedianColumn]
public class FloatFormattingBenchmark
{
    private readonly byte[] _scratch = new byte[32];

    [Benchmark]
    public int FloatFormatterThreeReadings() =>
        FloatFormatter.Format(21.53, _scratch) + FloatFormatter.Format(45.2, _scratch) + FloatFormatter.Format(3.27, _scratch);

    [Benchmark(Baseline = true)]
    public int DoubleTryFormatThreeReadings()
    {
        21.53.TryFormat(_scratch, out int a, default, NumberFormatInfo.InvariantInfo);
        45.2.TryFormat(_scratch, out int b, default, NumberFormatInfo.InvariantInfo);
        3.27.TryFormat(_scratch, out int c, default, NumberFormatInfo.InvariantInfo);
        return a + b + c;
    }
}
