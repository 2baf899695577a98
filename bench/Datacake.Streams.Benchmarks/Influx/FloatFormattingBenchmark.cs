using System.Globalization;
using BenchmarkDotNet.Attributes;
using Datacake.Streams.Benchmarks.Influx.Baselines;
using Datacake.Streams.Influx.LineProtocol;

namespace Datacake.Streams.Benchmarks.Influx;

/// <summary>
/// Float text for line protocol: three sensor readings and three values with 17 significant digits (what a
/// computed value such as 0.1 + 0.2 has), the shortest-digits formatter against session 2's and the BCL's.
/// </summary>
[MemoryDiagnoser]
[MinColumn]
[MedianColumn]
public class FloatFormattingBenchmark
{
    private readonly byte[] _scratch = new byte[32];

    [Benchmark]
    public int ShortestDigitsThreeReadings() =>
        FloatFormatter.Format(21.53, _scratch) + FloatFormatter.Format(45.2, _scratch) + FloatFormatter.Format(3.27, _scratch);

    [Benchmark(Baseline = true)]
    public int PreviousThreeReadings() =>
        PreviousFloatFormatter.Format(21.53, _scratch) + PreviousFloatFormatter.Format(45.2, _scratch) + PreviousFloatFormatter.Format(3.27, _scratch);

    [Benchmark]
    public int DoubleTryFormatThreeReadings()
    {
        21.53.TryFormat(_scratch, out int a, default, NumberFormatInfo.InvariantInfo);
        45.2.TryFormat(_scratch, out int b, default, NumberFormatInfo.InvariantInfo);
        3.27.TryFormat(_scratch, out int c, default, NumberFormatInfo.InvariantInfo);
        return a + b + c;
    }

    [Benchmark]
    public int ShortestDigitsThreeLongValues() =>
        FloatFormatter.Format(0.30000000000000004, _scratch) + FloatFormatter.Format(1.0 / 3, _scratch) + FloatFormatter.Format(6.02214076e23, _scratch);

    [Benchmark]
    public int PreviousThreeLongValues() =>
        PreviousFloatFormatter.Format(0.30000000000000004, _scratch) + PreviousFloatFormatter.Format(1.0 / 3, _scratch) + PreviousFloatFormatter.Format(6.02214076e23, _scratch);
}
