using System.Diagnostics;
using Datacake.Streams.LoadGen.EndToEnd;

namespace Datacake.Streams.UnitTests.LoadGen;

public sealed class LatencyEstimateTests
{
    [Fact]
    public void Points_written_half_a_second_after_their_acknowledgement_give_a_half_second_latency()
    {
        // 1,000 points acknowledged 100 at a time every 100 ms; influxd's count follows the same steps 500 ms later.
        var acks = Enumerable.Range(1, 10).Select(i => (Ticks(0.1 * i), 100L * i)).ToList();
        var written = new List<(double, long)> { (0, 0), (0.5, 0) };
        written.AddRange(Enumerable.Range(1, 10).Select(i => (0.5 + (0.1 * i), 100L * i)));

        var latency = LatencyEstimate.From(acks, 0, written);

        // The written count is linear between samples, the acknowledged one a step: inside a step 400-500 ms.
        Assert.Equal(1_000, latency.Samples);
        Assert.InRange(latency.P50Ms, 440, 460);
        Assert.InRange(latency.P99Ms, 490, 500);
        Assert.InRange(latency.MaxMs, 499, 500.001);
    }

    [Fact]
    public void Points_never_written_are_left_out_rather_than_counted_as_fast()
    {
        var acks = new List<(long, long)> { (Ticks(0.1), 1_000) };
        var written = new List<(double, long)> { (0, 0), (1.1, 400) };

        var latency = LatencyEstimate.From(acks, 0, written);

        Assert.Equal(400, latency.Samples);
        Assert.InRange(latency.P99Ms, 980, 1_000);
    }

    [Fact]
    public void Without_acknowledgements_there_is_no_estimate()
    {
        var latency = LatencyEstimate.From([], 0, [(0, 0), (1, 10)]);

        Assert.Equal(0, latency.Samples);
        Assert.True(double.IsNaN(latency.P99Ms));
    }

    private static long Ticks(double seconds) => (long)(seconds * Stopwatch.Frequency);
}
