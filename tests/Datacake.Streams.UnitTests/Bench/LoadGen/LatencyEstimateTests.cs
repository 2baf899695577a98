using System.Diagnostics;
using Datacake.Streams.LoadGen.EndToEnd;

namespace Datacake.Streams.UnitTests.Bench.LoadGen;

public sealed class LatencyEstimateTests
{
    private const double SampleSeconds = 0.1;

    [Fact]
    public void A_constant_delay_is_found_within_the_sampling_resolution()
    {
        // 10,000 points, one per ms, each written exactly 250 ms after its send.
        var sends = Sends(10_000, k => k * 0.001);
        var samples = Samples(12, t => WrittenBy(10_000, k => (k * 0.001) + 0.25, t));

        var (p50, p99) = LatencyEstimate.Percentiles(sends, samples, 0);

        Assert.InRange(p50, 240, 260);
        Assert.InRange(p99, 240, 260);
    }

    [Fact]
    public void A_growing_backlog_shows_in_the_tail()
    {
        // Sent at 2,000 points/s, written at 1,000/s: point k waits k/2,000 s, 0 to 5 s.
        var sends = Sends(10_000, k => k / 2000.0);
        var samples = Samples(11, t => WrittenBy(10_000, k => k / 1000.0, t));

        var (p50, p99) = LatencyEstimate.Percentiles(sends, samples, 0);

        Assert.InRange(p50, 2400, 2600);
        Assert.InRange(p99, 4850, 5050);
    }

    [Fact]
    public void Nothing_written_has_no_latency()
    {
        var (p50, p99) = LatencyEstimate.Percentiles(Sends(100, k => k * 0.001), Samples(1, _ => 0), 0);

        Assert.True(double.IsNaN(p50));
        Assert.True(double.IsNaN(p99));
    }

    /// <summary>One send entry per point k (1-based rank), at <paramref name="sentAt"/>(k) seconds.</summary>
    private static List<(long Timestamp, long Cumulative)> Sends(int points, Func<long, double> sentAt) =>
        [.. Enumerable.Range(1, points).Select(k => ((long)(sentAt(k) * Stopwatch.Frequency), (long)k))];

    private static List<(double Seconds, long Written)> Samples(double seconds, Func<double, long> written) =>
        [.. Enumerable.Range(0, (int)(seconds / SampleSeconds) + 1).Select(i => i * SampleSeconds).Select(t => (t, written(t)))];

    private static long WrittenBy(long points, Func<long, double> writtenAt, double t) =>
        Enumerable.Range(1, (int)points).LongCount(k => writtenAt(k) <= t);
}
