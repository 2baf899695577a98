using System.Diagnostics.Metrics;
using Datacake.Streams.Storage;

namespace Datacake.Streams.Api.Retention;

/// <summary>
/// Whether the rollups keep pace (meter <c>Datacake.Streams.Rollups</c>, tag <c>tier</c>): <c>watermark.lag</c>, how
/// far a tier's watermark is behind the clock (90-150 s for m1 keeping pace: the settle time plus the minute being
/// filled), and <c>marks.lag</c>, how far behind the clock the tier has taken the late marks (60 s plus up to one
/// <c>refreshEvery</c> when keeping pace; growing while a late stream outruns influxd's recomputes, as in the soak,
/// when queries read the marked windows from raw). As this node last saw them; absent until its first refresh.
/// </summary>
public sealed class RollupMetrics
{
    public const string MeterName = "Datacake.Streams.Rollups";

    // UTC ticks per tier, 0 for "not seen": read by the collector on its own thread.
    private readonly long[] _watermarks = new long[StorageTiers.Rollups.Count];
    private readonly long[] _taken = new long[StorageTiers.Rollups.Count];
    private readonly TimeProvider _time;
    private readonly Counter<long> _failures;

    public RollupMetrics(IMeterFactory meterFactory, TimeProvider time)
    {
        _time = time;
        Meter meter = meterFactory.Create(MeterName);
        meter.CreateObservableGauge("watermark.lag", () => Lags(_watermarks), unit: "s", description: "How far each rollup tier's watermark is behind the clock");
        meter.CreateObservableGauge("marks.lag", () => Lags(_taken), unit: "s", description: "How far behind the clock each rollup tier has taken the late-point marks");
        _failures = meter.CreateCounter<long>("refresh.failures", description: "Rollup refreshes that failed (retried at the next tick)");
    }

    /// <summary>The tier's watermark as last read or moved.</summary>
    public void Watermark(StorageTier tier, DateTimeOffset watermark) => Volatile.Write(ref _watermarks[Index(tier)], watermark.UtcTicks);

    /// <summary>The tier has taken the marks written up to <paramref name="until"/>.</summary>
    public void Taken(StorageTier tier, DateTimeOffset until) => Volatile.Write(ref _taken[Index(tier)], until.UtcTicks);

    public void Failed(StorageTier tier) => _failures.Add(1, new KeyValuePair<string, object?>("tier", tier.Name()));

    private IEnumerable<Measurement<double>> Lags(long[] times)
    {
        long now = _time.GetUtcNow().UtcTicks;
        for (int i = 0; i < StorageTiers.Rollups.Count; i++)
        {
            long at = Volatile.Read(ref times[i]);
            if (at != 0)
            {
                yield return new Measurement<double>(TimeSpan.FromTicks(now - at).TotalSeconds, new KeyValuePair<string, object?>("tier", StorageTiers.Rollups[i].Name()));
            }
        }
    }

    /// <summary>The tier's place in <see cref="StorageTiers.Rollups"/>: by the list, not by the enum's numbering.</summary>
    private static int Index(StorageTier tier)
    {
        for (int i = 0; i < StorageTiers.Rollups.Count; i++)
        {
            if (StorageTiers.Rollups[i] == tier)
            {
                return i;
            }
        }

        throw new ArgumentOutOfRangeException(nameof(tier), tier, "not a rollup tier");
    }
}
