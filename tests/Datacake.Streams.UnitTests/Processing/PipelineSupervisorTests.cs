using System.Net;
using Akka.Actor;
using Akka.Configuration;
using Datacake.Streams.Access;
using Datacake.Streams.Influx.Client;
using Datacake.Streams.Processing.Hosting;
using Datacake.Streams.Processing.Pipeline;
using Datacake.Streams.RecordLog;
using Datacake.Streams.Records;
using Datacake.Streams.TestSupport;
using Datacake.Streams.UnitTests.Core.Access;
using Microsoft.Extensions.Time.Testing;

namespace Datacake.Streams.UnitTests.Processing;

/// <summary>
/// The restart backoff of <see cref="PipelineSupervisor"/> on fake time. Every run fails the same way: its one record
/// is not an envelope, and appending the dead letter throws an exception no stage handles.
/// </summary>
public sealed class PipelineSupervisorTests : IAsyncDisposable
{
    private readonly ActorSystem _system = ActorSystem.Create("supervisor-" + Guid.NewGuid().ToString("N")[..8], ConfigurationFactory.ParseString("akka.loglevel = WARNING"));
    private readonly FailingDeadLetters _log = new();
    private readonly InfluxClient _influx = new(new HttpClient(new AcceptingHandler()), new InfluxOptions { Url = new Uri("http://influx.test:8086"), Database = "db" });
    private readonly FakeTimeProvider _time = new();
    private readonly ProcessingMetrics _metrics = new();
    private readonly List<ProcessingPipeline> _runs = [];

    [Fact]
    [Trait("Reliability", "stage-failure")]
    public async Task A_pipeline_failing_again_and_again_is_restarted_after_1_2_4_then_capped_delays()
    {
        var options = new ProcessingOptions { RestartDelay = TimeSpan.FromSeconds(1), RestartMaxDelay = TimeSpan.FromSeconds(4), RestartResetAfter = TimeSpan.FromSeconds(60) };
        await using var supervisor = Supervisor(options);
        supervisor.Start();

        TimeSpan[] expected = [TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(4)];
        for (var restart = 0; restart < expected.Length; restart++)
        {
            var due = await RestartDueAsync(supervisor);
            Assert.Equal(expected[restart], due - _time.GetUtcNow());
            _time.Advance(expected[restart] - TimeSpan.FromMilliseconds(1));
            Assert.Equal(restart, supervisor.Restarts);
            _time.Advance(TimeSpan.FromMilliseconds(1));
            await WaitUntilAsync(() => supervisor.Restarts == restart + 1 && supervisor.RestartDue is null, $"restart {restart + 1}");
        }

        Assert.Equal(expected.Length, _metrics.Restarts);
        Assert.Contains("dead letters refused", supervisor.LastFailure?.Message, StringComparison.Ordinal);
        Assert.All(_runs.SkipLast(1), r => Assert.False(r.Progress.IsRunning));
    }

    [Fact]
    [Trait("Reliability", "stage-failure")]
    public async Task A_run_longer_than_RestartResetAfter_starts_the_backoff_over()
    {
        var options = new ProcessingOptions { RestartDelay = TimeSpan.FromSeconds(1), RestartMaxDelay = TimeSpan.FromSeconds(30), RestartResetAfter = TimeSpan.FromSeconds(60) };
        await using var supervisor = Supervisor(options);
        supervisor.Start();
        var due = await RestartDueAsync(supervisor);
        _time.Advance(due - _time.GetUtcNow());
        await WaitUntilAsync(() => supervisor.Restarts == 1 && supervisor.RestartDue is null, "restart 1");
        Assert.Equal(TimeSpan.FromSeconds(2), await RestartDueAsync(supervisor) - _time.GetUtcNow());

        // The third run holds its dead letter for 61 s before it fails: a healthy run, so the backoff starts over.
        _log.HoldNext();
        _time.Advance(TimeSpan.FromSeconds(2));
        await WaitUntilAsync(() => supervisor.Restarts == 2 && _log.Holding, "the third run holds its dead letter");
        _time.Advance(TimeSpan.FromSeconds(61));
        _log.Release();
        Assert.Equal(TimeSpan.FromSeconds(1), await RestartDueAsync(supervisor) - _time.GetUtcNow());
    }

    [Fact]
    public async Task Restarts_that_never_hold_count_as_one_outage_until_a_run_lasts_RestartResetAfter()
    {
        var options = new ProcessingOptions { RestartDelay = TimeSpan.FromSeconds(1), RestartMaxDelay = TimeSpan.FromSeconds(4), RestartResetAfter = TimeSpan.FromSeconds(60) };
        await using var supervisor = Supervisor(options);
        supervisor.Start();
        var firstDue = await RestartDueAsync(supervisor);
        var downAt = firstDue - TimeSpan.FromSeconds(1);
        Assert.Equal(TimeSpan.Zero, _time.GetUtcNow() - downAt);

        // Three short runs, each failing at once: the outage runs on from the first failure, not from the last restart.
        for (var restart = 0; restart < 3; restart++)
        {
            var due = await RestartDueAsync(supervisor);
            _time.Advance(due - _time.GetUtcNow());
            await WaitUntilAsync(() => supervisor.Restarts == restart + 1 && supervisor.RestartDue is null, $"restart {restart + 1}");
        }

        await RestartDueAsync(supervisor);
        Assert.Equal(_time.GetUtcNow() - downAt, supervisor.DownFor);
        Assert.Equal(TimeSpan.FromSeconds(7), supervisor.DownFor);

        // A run that holds for RestartResetAfter ends the outage, while it runs and once it fails.
        _log.HoldNext();
        _time.Advance(supervisor.RestartDue!.Value - _time.GetUtcNow());
        await WaitUntilAsync(() => supervisor.Restarts == 4 && _log.Holding, "the fifth run holds its dead letter");
        _time.Advance(TimeSpan.FromSeconds(59));
        Assert.True(supervisor.DownFor > TimeSpan.FromSeconds(60), "a run shorter than RestartResetAfter does not end the outage yet");
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(TimeSpan.Zero, supervisor.DownFor);
        _log.Release();
        await RestartDueAsync(supervisor);
        Assert.Equal(TimeSpan.Zero, supervisor.DownFor);
        _time.Advance(TimeSpan.FromMilliseconds(500));
        Assert.Equal(TimeSpan.FromMilliseconds(500), supervisor.DownFor);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var run in _runs.ToArray())
        {
            run.Kill();
        }

        await _system.Terminate();
        _system.Dispose();
        _influx.Dispose();
        _metrics.Dispose();
    }

    private PipelineSupervisor Supervisor(ProcessingOptions options)
    {
        var signer = new AdapterSigner(AdapterKeyring.CreateRandom());
        var registry = new RegistryView();
        _log.AppendRaw();
        return new PipelineSupervisor(
            () =>
            {
                // The pipeline's own waits run on real time; only the supervisor's backoff is on fake time.
                var pipeline = new ProcessingPipeline(_log, _influx, signer, registry, new InMemoryVerdicts(), options with { BatchWindow = TimeSpan.FromMilliseconds(5) }, _system);
                lock (_runs)
                {
                    _runs.Add(pipeline);
                }

                return pipeline;
            },
            options,
            _metrics,
            _time);
    }

    private static async Task<DateTimeOffset> RestartDueAsync(PipelineSupervisor supervisor)
    {
        await WaitUntilAsync(() => supervisor.RestartDue is not null, "a restart is due");
        return supervisor.RestartDue!.Value;
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting until {what}");
            await Task.Delay(5);
        }
    }

    /// <summary>A log whose one raw record is no envelope, and which throws when its dead letter is appended.</summary>
    private sealed class FailingDeadLetters : IRecordLog
    {
        private readonly InMemoryRecordLog _inner = new(1);
        private TaskCompletionSource? _hold;
        private volatile bool _holding;

        public bool Holding => _holding;

        public void AppendRaw() => _inner.AppendAsync(LogTopics.Raw, "dev"u8.ToArray(), "not an envelope"u8.ToArray()).AsTask().GetAwaiter().GetResult();

        public void HoldNext() => _hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Release() => _hold?.TrySetResult();

        public int PartitionCount(string topic) => _inner.PartitionCount(topic);

        public async ValueTask<LogPosition> AppendAsync(string topic, ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value, CancellationToken cancellationToken = default)
        {
            if (topic != LogTopics.DeadLetter)
            {
                return await _inner.AppendAsync(topic, key, value, cancellationToken);
            }

            if (_hold is { } hold)
            {
                _holding = true;
                await hold.Task;
                _hold = null;
                _holding = false;
            }

            throw new InvalidOperationException("dead letters refused (injected)");
        }

        public IRecordLogConsumer Subscribe(string topic, string group, StartPosition start = StartPosition.Earliest) => _inner.Subscribe(topic, group, start);

        public ValueTask<bool> IsReachableAsync(CancellationToken cancellationToken = default) => ValueTask.FromResult(true);

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    private sealed class AcceptingHandler : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(request.RequestUri!.AbsolutePath.EndsWith("/query", StringComparison.Ordinal)
                ? new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent("""{"results":[{"statement_id":0}]}""") }
                : new HttpResponseMessage(HttpStatusCode.NoContent));
    }
}
