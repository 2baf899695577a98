using System.Globalization;
using Datacake.Streams.Influx.Querying;
using Datacake.Streams.IntegrationTests.Services;
using Datacake.Streams.TestSupport.Reliability;

namespace Datacake.Streams.IntegrationTests.Processing;

/// <summary>
/// An influxd that hangs (SIGSTOP: it accepts connections and requests, and answers none), against the pipeline: the
/// writes time out, are retried, and once influxd runs again every record is stored exactly once, even though the
/// requests that timed out are still in influxd's socket buffers and are carried out when it resumes.
/// </summary>
public sealed class HungInfluxdTests
{
    [Fact]
    [Trait("Reliability", "influx-hung")]
    public async Task Writes_to_a_hung_influxd_time_out_are_retried_and_every_record_is_stored_once_when_it_resumes()
    {
        await using var influxd = await PrivateInfluxd.StartAsync();
        await using var h = await ProcessingHarness.StartAsync(partitions: 2);
        var database = "hung_" + Guid.NewGuid().ToString("N")[..10];
        var client = h.Client(_ => influxd.Options(database) with { RequestTimeout = TimeSpan.FromSeconds(1) });
        await client.ExecuteAsync($"CREATE DATABASE {InfluxQl.QuoteIdentifier(database)}");
        await ProcessingHarness.CreateRetentionPoliciesAsync(client, database);

        var (device, token) = h.AddDevice();
        var start = DateTimeOffset.UtcNow.AddMinutes(-30);
        var pipeline = h.StartPipeline(ProcessingHarness.FastOptions with { BatchSize = 10 }, client);
        const int before = 30;
        const int during = 60;
        for (var i = 0; i < before; i++)
        {
            await h.AppendAsync(ProcessingHarness.Json(device, token, Body(i), start.AddMilliseconds(i)));
        }

        await ProcessingHarness.WaitUntilAsync(() => pipeline.Progress.RecordsCommitted >= before, $"{before} records committed");

        await SignalAsync("STOP", influxd.ProcessId);
        try
        {
            for (var i = before; i < before + during; i++)
            {
                await h.AppendAsync(ProcessingHarness.Json(device, token, Body(i), start.AddMilliseconds(i)));
            }

            // Each write waits its 1 s timeout and is retried: two failures prove the hang is met with retries, not a
            // write waiting for ever.
            await ProcessingHarness.WaitUntilAsync(() => pipeline.Metrics.WriteErrors >= 2, "two writes timed out", TimeSpan.FromSeconds(30));
            Assert.Equal(before, pipeline.Progress.RecordsCommitted);
            Assert.True(pipeline.Progress.IsRunning, "a hung store does not fail the pipeline");
        }
        finally
        {
            await SignalAsync("CONT", influxd.ProcessId);
        }

        await ProcessingHarness.WaitUntilAsync(() => pipeline.Progress.RecordsCommitted >= before + during, "every record committed after influxd resumed", TimeSpan.FromSeconds(60));
        await pipeline.StopAsync();
        var result = await client.QueryAsync($"SELECT \"n\" FROM \"raw\".{InfluxQl.QuoteIdentifier(device.ToString())}");
        var series = Assert.Single(result.Statements.SelectMany(s => s.Series));
        Assert.Equal(
            Enumerable.Range(0, before + during).Select(i => (double)i),
            series.Values.Select(row => row[1].GetDouble()));
        Assert.Empty(h.ReadDeadLetters());
        ReliabilityRecorder.Record("influx-hung", new ReliabilityNumbers
        {
            Sent = before + during,
            Stored = series.Values.Count,
            Lost = 0,
            Duplicated = 0,
            Note = $"{during} records sent while influxd was stopped (SIGSTOP), write timeout 1 s",
        });
    }

    private static string Body(int n) => "{\"n\":" + n.ToString(CultureInfo.InvariantCulture) + "}";

    private static async Task SignalAsync(string signal, int pid)
    {
        var kill = await ExternalCommand.RunAsync("kill", TimeSpan.FromSeconds(10), "-" + signal, pid.ToString(CultureInfo.InvariantCulture));
        Assert.True(kill.ExitCode == 0, $"kill -{signal} {pid}: {kill.Error}");
    }
}
