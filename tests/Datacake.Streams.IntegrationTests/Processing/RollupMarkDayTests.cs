using System.Globalization;
using Datacake.Streams.Influx.Querying;
using Datacake.Streams.Storage;

namespace Datacake.Streams.IntegrationTests.Processing;

/// <summary>
/// Late points are marked per device and UTC day (RollupMarks.DayTag), through the real pipeline into influxd: one
/// record with points four weeks apart leaves two short marks, not one span over the weeks between, which the shared
/// rollup refresher would re-read from that device's raw at every refresh.
/// </summary>
public sealed class RollupMarkDayTests
{
    [Fact]
    public async Task A_record_with_points_four_weeks_apart_marks_each_day_and_not_the_weeks_between()
    {
        await using var h = await ProcessingHarness.StartAsync();
        var (device, token) = h.AddDevice();
        DateTimeOffset now = DateTimeOffset.UtcNow;
        DateTimeOffset old = new DateTimeOffset(now.AddDays(-28).UtcDateTime.Date, TimeSpan.Zero).AddHours(12);
        DateTimeOffset recent = now.AddMinutes(-10);
        string body = "[" + string.Join(',', new[] { (old, 1), (old.AddSeconds(1), 2), (recent, 3) }
            .Select(p => $"{{\"time\":{p.Item1.ToUnixTimeMilliseconds()},\"values\":{{\"t\":{p.Item2}}}}}")) + "]";
        await h.AppendAsync(ProcessingHarness.Json(device, token, body, now));

        var pipeline = h.StartPipeline();
        await ProcessingHarness.WaitUntilAsync(() => pipeline.Progress.RecordsCommitted >= 1, "the record is committed");
        await pipeline.StopAsync();
        Assert.Equal(3, (await h.ValuesOfAsync(device))?.Values.Count);

        InfluxQueryResult marks = await h.Influx.QueryAsync(
            $"SELECT {InfluxQl.QuoteIdentifier(RollupMarks.FromField)}, {InfluxQl.QuoteIdentifier(RollupMarks.ToField)} FROM \"raw\".{InfluxQl.QuoteIdentifier(RollupMarks.Measurement)} "
            + $"WHERE \"device\" = {InfluxQl.QuoteString(device.ToString())} GROUP BY {InfluxQl.QuoteIdentifier(RollupMarks.DayTag)}");
        var spans = marks.Statements[0].Series
            .Select(s => (Day: s.Tags[RollupMarks.DayTag], From: s.GetInt64(0, RollupMarks.FromField), To: s.GetInt64(0, RollupMarks.ToField), Rows: s.Values.Count))
            .OrderBy(s => s.From)
            .ToList();
        Assert.Equal(
            [
                (Day(old), Ns(old), Ns(old.AddSeconds(1)), 1),
                (Day(recent), Ns(recent), Ns(recent), 1),
            ],
            spans);
    }

    private static string Day(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    // Milliseconds, as the body gives them.
    private static long Ns(DateTimeOffset time) => time.ToUnixTimeMilliseconds() * 1_000_000;
}
