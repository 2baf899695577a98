using System.Globalization;
using Datacake.Streams.Influx.Client;
using Datacake.Streams.Processing.Decoding;
using Datacake.Streams.Processing.Dedup;
using Datacake.Streams.Processing.Hosting;
using Datacake.Streams.Processing.Pipeline;
using Datacake.Streams.Processing.Replay;
using Datacake.Streams.Processing.State;
using Datacake.Streams.RecordLog;
using Datacake.Streams.Records;

namespace Datacake.Streams.IntegrationTests.Processing;

/// <summary>
/// <see cref="PipelineSupervisor"/> with the production verdicts (state folder on disk), a FasterLog on disk and the
/// real influxd: a stage that fails once does not stop processing for good.
/// </summary>
public sealed class PipelineSupervisionTests : IDisposable
{
    private readonly string _stateDirectory = Path.Combine(Path.GetTempPath(), "dcs-state-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_stateDirectory))
        {
            Directory.Delete(_stateDirectory, recursive: true);
        }
    }

    [Fact]
    [Trait("Reliability", "stage-failure")]
    public async Task A_stage_that_throws_once_after_its_write_is_restarted_from_the_commits_and_every_record_is_stored_once()
    {
        await using var h = await ProcessingHarness.StartAsync(partitions: 2);
        var devices = Enumerable.Range(0, 4).Select(_ => h.AddDevice()).ToArray();
        var start = DateTimeOffset.UtcNow.AddMinutes(-30);
        const int count = 400;
        const int resent = 40;
        for (var i = 0; i < count; i++)
        {
            var (device, token) = devices[i % devices.Length];
            await h.AppendAsync(ProcessingHarness.Json(device, token, "{\"n\":" + i.ToString(CultureInfo.InvariantCulture) + "}", start.AddMilliseconds(i), messageId: "m" + i.ToString(CultureInfo.InvariantCulture)));
        }

        // Client retries of the first records: same message id, another receive time. Were they not dropped as
        // duplicates, each would add a point of its own.
        for (var i = 0; i < resent; i++)
        {
            var (device, token) = devices[i % devices.Length];
            await h.AppendAsync(ProcessingHarness.Json(device, token, "{\"n\":" + i.ToString(CultureInfo.InvariantCulture) + "}", start.AddMilliseconds(i).AddSeconds(1), messageId: "m" + i.ToString(CultureInfo.InvariantCulture)));
        }

        var lastPositions = LastPositions(h);
        var registry = h.Registry;
        var verdicts = new GuardedVerdicts(
            new PartitionStateStore(_stateDirectory),
            new ReplayGuardOptions(),
            new DuplicateFilterOptions(),
            TimeProvider.System,
            registry,
            new UplinkDecoder(new DevicePayloadDecoder(registry, new JavaScriptDecoder(new JavaScriptDecoderOptions()))));

        // The third write reaches InfluxDB, then its stage throws an exception no stage handles: the batch is stored
        // but never committed, and the stream fails.
        using var failing = new ThrowOnceAfterWrite(failOnWrite: 3);
        using var http = new HttpClient(failing);
        using var influx = new InfluxClient(http, h.InfluxOptions);
        var options = ProcessingHarness.FastOptions with { BatchSize = 20, RestartDelay = TimeSpan.FromMilliseconds(100) };
        using var metrics = new ProcessingMetrics();
        var runs = new List<ProcessingPipeline>();
        await using var supervisor = new PipelineSupervisor(
            () =>
            {
                var pipeline = h.CreatePipeline(options, influx, verdicts, metrics);
                runs.Add(pipeline);
                return pipeline;
            },
            options,
            metrics);
        supervisor.Start();

        await ProcessingHarness.WaitUntilAsync(() => supervisor.Restarts == 1 && supervisor.Current?.Progress.IsRunning == true, "the failed pipeline is running again");
        await ProcessingHarness.WaitUntilAsync(async () => await h.CountPointsAsync() >= count, $"{count} points are in InfluxDB");
        await ProcessingHarness.WaitUntilAsync(() => supervisor.Current!.Progress.HasCommitted(lastPositions), "the second run committed the last record of every partition");
        await supervisor.StopAsync();

        Assert.True(failing.Failed, "the injected failure never happened");
        Assert.Equal(1, supervisor.Restarts);
        Assert.Equal(1, metrics.Restarts);
        Assert.Equal(2, runs.Count);
        Assert.Contains("injected", supervisor.LastFailure?.Message, StringComparison.Ordinal);
        Assert.False(runs[0].Progress.IsRunning);

        // The second run read again what the first had not committed, including the batch stored before the
        // failure: rewritten with the same timestamps, it overwrote its own points.
        Assert.True(runs[1].Progress.RecordsRead > 0);
        Assert.True(runs[0].Progress.RecordsCommitted < count + resent, "the first run finished everything before it failed");
        Assert.Equal(count, await h.CountPointsAsync());
        foreach (var (device, _) in devices)
        {
            var series = await h.ValuesOfAsync(device);
            Assert.NotNull(series);
            Assert.Equal(count / devices.Length, series.Values.Count);
        }

        Assert.True(metrics.Duplicates >= resent, $"{metrics.Duplicates} duplicates dropped, {resent} resent");
        Assert.Empty(h.ReadDeadLetters());
        Assert.Equal(0, h.UncommittedRecords(options.ConsumerGroup));
    }

    [Fact]
    [Trait("Reliability", "poison-records")]
    public async Task A_record_that_fails_every_run_is_dead_lettered_as_poison_and_every_other_record_is_stored_once()
    {
        await using var h = await ProcessingHarness.StartAsync(partitions: 2);
        var devices = Enumerable.Range(0, 4).Select(_ => h.AddDevice()).ToArray();
        var start = DateTimeOffset.UtcNow.AddMinutes(-30);
        const int count = 200;
        const int poisonAt = 123;
        for (var i = 0; i < count; i++)
        {
            var (device, token) = devices[i % devices.Length];
            await h.AppendAsync(ProcessingHarness.Json(device, token, "{\"n\":" + i.ToString(CultureInfo.InvariantCulture) + "}", start.AddMilliseconds(i), messageId: "m" + i.ToString(CultureInfo.InvariantCulture)));
        }

        var lastPositions = LastPositions(h);
        var registry = h.Registry;
        var verdicts = new ThrowingOnPayload(
            new GuardedVerdicts(
                new PartitionStateStore(_stateDirectory),
                new ReplayGuardOptions(),
                new DuplicateFilterOptions(),
                TimeProvider.System,
                registry,
                new UplinkDecoder(new DevicePayloadDecoder(registry, new JavaScriptDecoder(new JavaScriptDecoderOptions())))),
            "{\"n\":" + poisonAt.ToString(CultureInfo.InvariantCulture) + "}");
        var options = ProcessingHarness.FastOptions with { BatchSize = 20, RestartDelay = TimeSpan.FromMilliseconds(50), RestartMaxDelay = TimeSpan.FromMilliseconds(200), PoisonAfterRestarts = 2 };
        using var metrics = new ProcessingMetrics();
        var poison = new PoisonRecords();
        await using var supervisor = new PipelineSupervisor(() => h.CreatePipeline(options, verdicts: verdicts, metrics: metrics, poison: poison), options, metrics, poison: poison);
        supervisor.Start();

        await ProcessingHarness.WaitUntilAsync(() => poison.Count == 1 && supervisor.Restarts == 3 && supervisor.Current?.Progress.IsRunning == true, "the run after the record was marked is running");
        await ProcessingHarness.WaitUntilAsync(() => supervisor.Current!.Progress.HasCommitted(lastPositions), "the run after the mark committed the last record of every partition");
        await supervisor.StopAsync();

        // Every other record once (a failed run's uncommitted writes were rewritten with the same timestamps), the record
        // itself nowhere but in its dead letter.
        Assert.Equal(count - 1, await h.CountPointsAsync());
        var numbers = new List<double>();
        foreach (var (device, _) in devices)
        {
            var series = (await h.ValuesOfAsync(device))!;
            var column = series.Columns.ToList().IndexOf("n");
            numbers.AddRange(series.Values.Select(v => v[column].GetDouble()));
        }

        Assert.Equal(Enumerable.Range(0, count).Where(i => i != poisonAt).Select(i => (double)i), numbers.Order());
        var letter = Assert.Single(h.ReadDeadLetters()).Letter;
        Assert.Equal(Payloads.DeadLetters.RejectReason.Poison, letter.Reason);
        Assert.Contains("partition stage failed on this record in 3 runs in a row", letter.Detail, StringComparison.Ordinal);
        Assert.Equal(0, h.UncommittedRecords(options.ConsumerGroup));
    }

    /// <summary>The last record of every partition of <c>dcs.raw</c>, read by a group of its own.</summary>
    private static List<LogPosition> LastPositions(ProcessingHarness h)
    {
        var last = new Dictionary<int, LogPosition>();
        using var consumer = h.Log.Subscribe(LogTopics.Raw, "reader-" + Guid.NewGuid().ToString("N"));
        while (consumer.Consume(TimeSpan.FromMilliseconds(200)) is { } record)
        {
            last[record.Position.Partition] = record.Position;
        }

        return [.. last.Values];
    }

    /// <summary>The production verdicts, whose Admit throws (an exception no stage handles) on one payload, every time.</summary>
    private sealed class ThrowingOnPayload(IRecordVerdicts inner, string payload) : IRecordVerdicts
    {
        public IPartitionState Open(int partition) => new State(inner.Open(partition), payload);

        private sealed class State(IPartitionState inner, string payload) : IPartitionState
        {
            public Verdict Admit(in RawRecord record, LogPosition position) =>
                System.Text.Encoding.UTF8.GetString(record.Payload.Span) == payload
                    ? throw new InvalidOperationException("state broken by this record (injected)")
                    : inner.Admit(record, position);

            public Verdict Decode(in RawRecord record, RecordPoints points) => inner.Decode(record, points);

            public void Written(LogPosition upTo) => inner.Written(upTo);

            public void Dispose() => inner.Dispose();
        }
    }

    /// <summary>Forwards to influxd; after the <c>failOnWrite</c>-th write was answered, throws once.</summary>
    private sealed class ThrowOnceAfterWrite(int failOnWrite) : DelegatingHandler(new SocketsHttpHandler())
    {
        private int _writes;
        private int _failed;

        public bool Failed => Volatile.Read(ref _failed) == 1;

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken);
            var isWrite = request.RequestUri!.AbsolutePath.EndsWith("/write", StringComparison.Ordinal);
            if (isWrite && response.IsSuccessStatusCode && Interlocked.Increment(ref _writes) == failOnWrite && Interlocked.Exchange(ref _failed, 1) == 0)
            {
                response.Dispose();
                throw new InvalidOperationException("injected stage failure after a stored write");
            }

            return response;
        }
    }
}
