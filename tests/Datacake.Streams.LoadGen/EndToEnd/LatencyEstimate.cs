using System.Diagnostics;

namespace Datacake.Streams.LoadGen.EndToEnd;

/// <summary>
/// Acknowledged → queryable latency without polling single points: the k-th point is taken to be queryable when
/// influxd's written count (sampled every 250 ms by <see cref="DeliveryWatch"/>, linear between samples) reaches k,
/// and to have been acknowledged when the load's acknowledged count reached k. Holds while a system delivers about
/// in order (per-partition order, bounded batches); resolution is the sampling interval. An acknowledgement follows
/// its send by one durable log append (a few ms), so this is close to send → queryable.
/// </summary>
internal readonly record struct LatencyEstimate(double P50Ms, double P99Ms, double MaxMs, int Samples)
{
    /// <summary>Points looked at: every (N/2,000)-th, enough for a p99 from 20 points above it.</summary>
    private const int Quantiles = 2_000;

    public static LatencyEstimate From(IReadOnlyList<(long Timestamp, long Total)> acks, long startTimestamp, IReadOnlyList<(double Seconds, long Written)> written)
    {
        if (acks.Count == 0 || written.Count < 2)
        {
            return new LatencyEstimate(double.NaN, double.NaN, double.NaN, 0);
        }

        var total = acks[^1].Total;
        var steps = (int)Math.Min(total, Quantiles);
        var latencies = new List<double>(steps);
        for (var j = 1; j <= steps; j++)
        {
            var k = (long)Math.Ceiling((double)j * total / steps);
            var ackedAt = Stopwatch.GetElapsedTime(startTimestamp, acks[FirstAtLeast(acks, k)].Timestamp).TotalSeconds;
            if (WrittenAt(written, k) is { } writtenAt)
            {
                latencies.Add(Math.Max(0, writtenAt - ackedAt) * 1000);
            }
        }

        if (latencies.Count == 0)
        {
            return new LatencyEstimate(double.NaN, double.NaN, double.NaN, 0);
        }

        latencies.Sort();
        return new LatencyEstimate(Percentile(latencies, 0.50), Percentile(latencies, 0.99), latencies[^1], latencies.Count);
    }

    private static double Percentile(List<double> sorted, double p) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];

    private static int FirstAtLeast(IReadOnlyList<(long Timestamp, long Total)> acks, long k)
    {
        int low = 0, high = acks.Count - 1;
        while (low < high)
        {
            var middle = (low + high) / 2;
            if (acks[middle].Total >= k)
            {
                high = middle;
            }
            else
            {
                low = middle + 1;
            }
        }

        return low;
    }

    /// <summary>When the written count reached <paramref name="k"/>, linear between the samples around it; null if it never did.</summary>
    private static double? WrittenAt(IReadOnlyList<(double Seconds, long Written)> samples, long k)
    {
        int low = 0, high = samples.Count - 1;
        if (samples[high].Written < k)
        {
            return null;
        }

        while (low < high)
        {
            var middle = (low + high) / 2;
            if (samples[middle].Written >= k)
            {
                high = middle;
            }
            else
            {
                low = middle + 1;
            }
        }

        if (low == 0)
        {
            return samples[0].Seconds;
        }

        var (s0, w0) = samples[low - 1];
        var (s1, w1) = samples[low];
        return s0 + ((s1 - s0) * (k - w0) / Math.Max(w1 - w0, 1));
    }
}
