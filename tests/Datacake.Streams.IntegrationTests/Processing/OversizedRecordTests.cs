using System.Globalization;
using System.Text;
using Datacake.Streams.Influx.Querying;
using Datacake.Streams.IntegrationTests.Services;
using Datacake.Streams.Payloads.DeadLetters;
using Datacake.Streams.TestSupport.Reliability;

namespace Datacake.Streams.IntegrationTests.Processing;

/// <summary>A record larger than influxd's <c>max-body-size</c>, against a real influxd configured with a small limit.</summary>
public sealed class OversizedRecordTests
{
    // 2 KiB: one record of 60 long field names (~2.8 KB of line protocol) is above it, a batch of small records is not.
    private const int BodyLimit = 2_048;

    [Fact]
    [Trait("Reliability", "oversized-record")]
    public async Task A_single_record_above_influxds_body_limit_is_dead_lettered_and_its_partition_goes_on()
    {
        await using var influxd = await PrivateInfluxd.StartAsync(maxBodyBytes: BodyLimit);
        await using var h = await ProcessingHarness.StartAsync(partitions: 1);
        var client = h.Client(_ => influxd.Options("oversized"));
        await client.ExecuteAsync("CREATE DATABASE \"oversized\"");
        await ProcessingHarness.CreateRetentionPoliciesAsync(client, "oversized");

        var (device, token) = h.AddDevice();
        var start = DateTimeOffset.UtcNow.AddMinutes(-30);
        var huge = new StringBuilder("{");
        for (var f = 0; f < 60; f++)
        {
            huge.Append(CultureInfo.InvariantCulture, $"{(f == 0 ? string.Empty : ",")}\"a_rather_long_field_name_number_{f:00}\":{f}");
        }

        huge.Append('}');
        const int small = 20;
        for (var i = 0; i < small; i++)
        {
            await h.AppendAsync(ProcessingHarness.Json(device, token, "{\"n\":" + i.ToString(CultureInfo.InvariantCulture) + "}", start.AddMilliseconds(i)));
            if (i == small / 2)
            {
                await h.AppendAsync(ProcessingHarness.Json(device, token, huge.ToString(), start.AddSeconds(1)));
            }
        }

        // Batches of 5 records: the one holding the huge record is refused as a whole, then record by record.
        var pipeline = h.StartPipeline(ProcessingHarness.FastOptions with { BatchSize = 5 }, client);
        await ProcessingHarness.WaitUntilAsync(() => pipeline.Progress.RecordsCommitted >= small + 1, $"{small + 1} records are committed");
        await pipeline.StopAsync();

        var result = await client.QueryAsync($"SELECT \"n\" FROM \"raw\".{InfluxQl.QuoteIdentifier(device.ToString())}");
        var series = Assert.Single(result.Statements.SelectMany(s => s.Series));
        Assert.Equal(small, series.Values.Count);
        var letter = Assert.Single(h.ReadDeadLetters()).Letter;
        Assert.Equal(RejectReason.RejectedByStore, letter.Reason);
        Assert.Contains("HTTP 413", letter.Detail, StringComparison.Ordinal);
        Assert.Contains("a_rather_long_field_name_number_59", Encoding.UTF8.GetString(letter.Original.Span), StringComparison.Ordinal);
        Assert.Equal(0, h.UncommittedRecords(ProcessingHarness.FastOptions.ConsumerGroup));
        ReliabilityRecorder.Record("oversized-record", new ReliabilityNumbers
        {
            Sent = small + 1,
            Stored = series.Values.Count,
            Lost = 0,
            Note = "the huge record dead-lettered rejected_by_store (HTTP 413)",
        });
    }
}
