using Datacake.Streams.Api.Queries;
using Datacake.Streams.Api.Retention;
using Datacake.Streams.Influx.Querying;
using Datacake.Streams.IntegrationTests.Api.Queries;
using Datacake.Streams.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Datacake.Streams.IntegrationTests.Api.Retention;

/// <summary>The rollups' shared state in influxd (<see cref="RollupLedger"/>): what every windowed query reads first.</summary>
public sealed class RollupLedgerTests
{
    [Fact]
    public async Task A_tier_keeps_one_watermark_point_a_day_however_often_it_refreshes()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using QueryApiHost host = await QueryApiHost.StartAsync(clock: clock);
        var days = new HashSet<DateTime>();
        RollupRefresh last = await host.RefreshAsync();
        days.Add(clock.GetUtcNow().UtcDateTime.Date);
        for (int i = 0; i < 3; i++)
        {
            // Two minutes on, m1 rolls two more windows and writes its watermark again.
            clock.Advance(TimeSpan.FromMinutes(2));
            DateTimeOffset before = last.Watermarks[StorageTier.M1];
            last = await host.RefreshAsync();
            Assert.True(last.Watermarks[StorageTier.M1] > before, $"m1 did not move past {before:O}");
            days.Add(clock.GetUtcNow().UtcDateTime.Date);
        }

        // Every windowed query reads max() over these points: one a refresh was 20k points over meta's 14 days.
        InfluxQueryResult stored = await host.QueryAsync(
            $"SELECT count(\"until\") AS \"points\", max(\"until\") AS \"until\" FROM \"meta\".{InfluxQl.QuoteIdentifier(RollupMarks.WatermarkMeasurement)} GROUP BY \"tier\"");
        InfluxSeries m1 = Assert.Single(stored.Statements[0].Series, s => s.Tags["tier"] == "m1");
        Assert.Equal(days.Count, m1.GetInt64(0, "points"));
        Assert.Equal(last.Watermarks[StorageTier.M1], QueryTime.FromUnixNanoseconds(m1.GetInt64(0, "until")));
        Assert.Equal(last.Watermarks[StorageTier.M1], (await host.Services.GetRequiredService<RollupLedger>().WatermarksAsync(CancellationToken.None))[StorageTier.M1]);
    }
}
