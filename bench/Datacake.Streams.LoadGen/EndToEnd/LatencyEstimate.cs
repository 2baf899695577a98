using System.Diagnostics;

namespace Datacake.Streams.LoadGen.EndToEnd;

/// <summary>
/// Send → queryable latency without polling single points: every system here delivers in order up to a bounded
/// reorder, so the k-th point written is, within that reorder, the k-th point sent. Its latency is then the time
/// influxd's written counter reached k minus the time the send carrying the k-th point began. The send side is exact
/// (one <see cref="SendLog"/> entry per request or publish); the written side is linear between counter samples, so
/// the resolution is the sampling interval (100 ms) plus the size of the system's write batches.
/// </summary>
internal static class LatencyEstimate
{
    /// <summary>Enough ranks for a stable p99 without walking millions of points.</summary>
    private const int Ranks = 100_000;

    /// <summary>p50 and p99 in milliseconds over the points both sent and written; (NaN, NaN) when none were.</summary>
    public static (double P50, double P99) Percentiles(
        IReadOnlyList<(long Timestamp, long Cumulative)> sends, IReadOnlyList<(double Seconds, long Written)> samples, long startTimestamp)
    {
        var delivered = Math.Min(sends.Count > 0 ? sends[^1].Cumulative : 0, samples.Count > 0 ? samples[^1].Written : 0);
        if (delivered <= 0)
        {
            return (double.NaN, double.NaN);
        }

        var step = Math.Max(1, delivered / Ranks);
        var latencies = new List<double>((int)(delivered / step) + 1);
        int send = 0, sample = 0;
        for (var k = step; k <= delivered; k += step)
        {
            // Both columns only grow, so one forward pass over each answers every rank.
            while (sends[send].Cumulative < k)
            {
                send++;
            }

            while (samples[sample].Written < k)
            {
                sample++;
            }

            var sentSeconds = Stopwatch.GetElapsedTime(startTimestamp, sends[send].Timestamp).TotalSeconds;
            var writtenSeconds = WrittenAt(samples, sample, k);
            latencies.Add(Math.Max(0, writtenSeconds - sentSeconds) * 1000);
        }

        latencies.Sort();
        return (Quantile(latencies, 0.50), Quantile(latencies, 0.99));
    }

    /// <summary>When the counter passed <paramref name="k"/>: linear between the sample before and the first at or above it.</summary>
    private static double WrittenAt(IReadOnlyList<(double Seconds, long Written)> samples, int index, long k)
    {
        if (index == 0)
        {
            return samples[0].Seconds;
        }

        var (s0, w0) = samples[index - 1];
        var (s1, w1) = samples[index];
        return w1 <= w0 ? s1 : s0 + ((s1 - s0) * (k - w0) / (w1 - w0));
    }

    private static double Quantile(List<double> sorted, double q) =>
        sorted[(int)Math.Clamp(Math.Ceiling(q * sorted.Count) - 1, 0, sorted.Count - 1)];
}
