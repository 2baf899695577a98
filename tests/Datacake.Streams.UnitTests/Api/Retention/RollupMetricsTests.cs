using System.Diagnostics.Metrics;
using Datacake.Streams.Api.Retention;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Datacake.Streams.UnitTests.Api.Retention;

public sealed class RollupMetricsTests
{
    [Fact]
    public void Each_rollup_tier_reports_its_own_lag_and_raw_is_not_a_rollup()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 7, 12, 0, 0, TimeSpan.Zero));
        using ServiceProvider services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var metrics = new RollupMetrics(services.GetRequiredService<IMeterFactory>(), clock);
        metrics.Watermark(StorageTier.M1, clock.GetUtcNow().AddSeconds(-90));
        metrics.Watermark(StorageTier.H1, clock.GetUtcNow().AddHours(-2));
        metrics.Taken(StorageTier.H1, clock.GetUtcNow().AddSeconds(-61));

        var seen = new Dictionary<string, double>(StringComparer.Ordinal);
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == RollupMetrics.MeterName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => seen[$"{instrument.Name}/{tags[0].Value}"] = value);
        listener.Start();
        listener.RecordObservableInstruments();

        Assert.Equal(90, seen["watermark.lag/m1"]);
        Assert.Equal(7200, seen["watermark.lag/h1"]);
        Assert.Equal(61, seen["marks.lag/h1"]);
        Assert.False(seen.ContainsKey("marks.lag/m1"), "a tier not seen yet reports no lag");
        Assert.Throws<ArgumentOutOfRangeException>(() => metrics.Watermark(StorageTier.Raw, clock.GetUtcNow()));
    }
}
