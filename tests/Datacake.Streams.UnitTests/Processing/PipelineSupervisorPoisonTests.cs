using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text;
using Akka.Actor;
using Akka.Configuration;
using Datacake.Streams.Access;
using Datacake.Streams.Ids;
using Datacake.Streams.Influx.Client;
using Datacake.Streams.Payloads.DeadLetters;
using Datacake.Streams.Processing.Hosting;
using Datacake.Streams.Processing.Pipeline;
using Datacake.Streams.RecordLog;
using Datacake.Streams.Records;
using Datacake.Streams.TestSupport;
using Datacake.Streams.UnitTests.Core.Access;
using Microsoft.Extensions.Time.Testing;

namespace Datacake.Streams.UnitTests.Processing;

/// <summary>
/// <see cref="PipelineSupervisor"/> on fake time with the real Akka graph: one record of ten makes the partition stage
/// throw in every run (its state's Admit throws on it); after the first run and <c>PoisonAfterRestarts</c> restarts
/// the next run dead-letters it <c>poison</c> and writes the nine others.
/// </summary>
public sealed class PipelineSupervisorPoisonTests : IAsyncDisposable
{
    private const int Count = 10;
    private const int PoisonAt = 6;
    private readonly ActorSystem _system = ActorSystem.Create("poison-" + Guid.NewGuid().ToString("N")[..8], ConfigurationFactory.ParseString("akka.loglevel = WARNING"));
    private readonly InMemoryRecordLog _log = new(1);
    private readonly RecordingInflux _writes = new();
    private readonly FakeTimeProvider _time = new();
    private readonly ProcessingMetrics _metrics = new();
    private readonly List<ProcessingPipeline> _runs = [];
    private readonly InfluxClient _influx;

    public PipelineSupervisorPoisonTests() => _influx = new(new HttpClient(_writes), new InfluxOptions { Url = new Uri("http://influx.test:8086"), Database = "db" });

    [Fact]
    [Trait("Reliability", "poison-records")]
    public async Task A_record_failing_the_first_run_and_every_restart_is_dead_lettered_as_poison_and_its_partition_moves_on()
    {
        var signer = new AdapterSigner(AdapterKeyring.CreateRandom());
        var registry = new RegistryView();
        registry.Apply(new WorkspaceUpserted(new WorkspaceEntry("ws", null)));
        var token = TokenHash.Of(AccessToken.New().Secret);
        registry.Apply(new TokenUpserted(new TokenGrant { TokenId = "t", Hash = token, WorkspaceId = "ws", Role = WorkspaceRole.Editor }));
        var device = DeviceId.New();
        registry.Apply(new DeviceUpserted(new DeviceEntry { Id = device, WorkspaceId = "ws" }));
        var positions = new List<LogPosition>();
        for (var i = 0; i < Count; i++)
        {
            positions.Add(await _log.AppendAsync(LogTopics.Raw, device.ToBytes(), Record(signer, device, token, i)));
        }

        var options = new ProcessingOptions
        {
            RestartDelay = TimeSpan.FromSeconds(1),
            RestartMaxDelay = TimeSpan.FromSeconds(4),
            PoisonAfterRestarts = 2,
            BatchWindow = TimeSpan.FromMilliseconds(5),
        };
        var poison = new PoisonRecords();
        await using var supervisor = new PipelineSupervisor(
            () =>
            {
                var pipeline = new ProcessingPipeline(_log, _influx, signer, registry, new ThrowingOn(PoisonAt), options, _system, poison: poison);
                lock (_runs)
                {
                    _runs.Add(pipeline);
                }

                return pipeline;
            },
            options,
            _metrics,
            _time,
            poison: poison);
        supervisor.Start();

        // The first run and two restarts fail on the record; only then is it marked, and the third restart moves on.
        TimeSpan[] delays = [TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4)];
        for (var restart = 0; restart < delays.Length; restart++)
        {
            await WaitUntilAsync(() => supervisor.RestartDue is not null, () => $"failure {restart + 1}");
            Assert.Equal(restart == delays.Length - 1 ? 1 : 0, poison.Count);
            Assert.Contains($"record 0@{positions[PoisonAt].Offset}", supervisor.LastFailure?.Message, StringComparison.Ordinal);
            _time.Advance(delays[restart]);
            await WaitUntilAsync(() => supervisor.Restarts == restart + 1, () => $"restart {restart + 1} (restarts {supervisor.Restarts}, due {supervisor.RestartDue - _time.GetUtcNow()}, poison {poison.Count}, failure {supervisor.LastFailure?.Message})");
        }

        var last = supervisor.Current!;
        await WaitUntilAsync(() => last.Progress.HasCommitted([positions[^1]]), () => $"the run after the mark committed the partition's last record (running {last.Progress.IsRunning}, failure {last.Progress.Failure?.Message}, read {last.Progress.RecordsRead}, committed {last.Progress.RecordsCommitted}, restarts {supervisor.Restarts}, writes {string.Join(",", _writes.Numbers)}, poison {poison.Count})");
        Assert.True(last.Progress.IsRunning);
        Assert.Null(supervisor.RestartDue);
        Assert.Equal(3, supervisor.Restarts);

        var letters = DeadLetters();
        var letter = Assert.Single(letters);
        Assert.Equal(RejectReason.Poison, letter.Reason);
        Assert.Equal(positions[PoisonAt], letter.Source);
        Assert.Contains("partition stage failed on this record in 3 runs in a row: InvalidOperationException: state broken by this record (injected)", letter.Detail, StringComparison.Ordinal);

        // The nine others are written. Those before the record may have been written by a failed run too (uncommitted,
        // so read again: InfluxDB overwrites a point of the same time); those after it only by the run that moved on.
        Assert.Equal(Enumerable.Range(0, Count).Where(i => i != PoisonAt), _writes.Numbers.Distinct().Order());
        Assert.Equal(Enumerable.Range(PoisonAt + 1, Count - PoisonAt - 1), _writes.Numbers.Where(n => n > PoisonAt).Order());
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

    private List<DeadLetterRecord> DeadLetters()
    {
        var letters = new List<DeadLetterRecord>();
        using var consumer = _log.Subscribe(LogTopics.DeadLetter, "test-reader");
        while (consumer.Consume(TimeSpan.FromMilliseconds(50)) is { } record)
        {
            Assert.True(DeadLetterCodec.TryDecode(record.Value.Span, out var letter));
            letters.Add(letter!);
        }

        return letters;
    }

    private static byte[] Record(AdapterSigner signer, DeviceId device, TokenHash token, int n) => signer.EncodeSigned(new RawRecord
    {
        Version = RawRecord.CurrentVersion,
        DeviceId = device,
        Source = SourceKind.Http,
        ReceivedAtUnixNs = ((DateTimeOffset.UtcNow.AddMinutes(-10) - DateTimeOffset.UnixEpoch).Ticks * 100) + (n * 1_000_000L),
        MessageId = "m" + n.ToString(CultureInfo.InvariantCulture),
        PayloadKind = PayloadKind.JsonValues,
        Payload = Encoding.UTF8.GetBytes("{\"n\":" + n.ToString(CultureInfo.InvariantCulture) + "}"),
        Credential = token,
        CredentialKind = CredentialKind.Token,
    });

    private static async Task WaitUntilAsync(Func<bool> condition, Func<string> what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting until {what()}");
            await Task.Delay(5);
        }
    }

    /// <summary>The in-memory verdicts, whose Admit throws (an exception no stage handles) on the record with n = <c>at</c>.</summary>
    private sealed class ThrowingOn(int at) : IRecordVerdicts
    {
        private readonly InMemoryVerdicts _inner = new();

        public IPartitionState Open(int partition) => new State(_inner.Open(partition), "{\"n\":" + at.ToString(CultureInfo.InvariantCulture) + "}");

        private sealed class State(IPartitionState inner, string poison) : IPartitionState
        {
            public Verdict Admit(in RawRecord record, LogPosition position) =>
                Encoding.UTF8.GetString(record.Payload.Span) == poison
                    ? throw new InvalidOperationException("state broken by this record (injected)")
                    : inner.Admit(record, position);

            public Verdict Decode(in RawRecord record, RecordPoints points) => inner.Decode(record, points);

            public void Written(LogPosition upTo) => inner.Written(upTo);

            public void Dispose() => inner.Dispose();
        }
    }

    /// <summary>InfluxDB's answers, keeping the value of field n of every point written.</summary>
    private sealed class RecordingInflux : HttpMessageHandler
    {
        private readonly ConcurrentBag<int> _numbers = [];

        public IEnumerable<int> Numbers => _numbers;

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.RequestUri!.AbsolutePath.EndsWith("/query", StringComparison.Ordinal))
            {
                return new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent("""{"results":[{"statement_id":0}]}""") };
            }

            var body = await request.Content!.ReadAsStringAsync(cancellationToken);
            foreach (var line in body.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                // Value lines only: the record's metadata goes in lines of its own.
                if (line.Split(' ')[1].Split(',').FirstOrDefault(f => f.StartsWith("n=", StringComparison.Ordinal)) is { } field)
                {
                    _numbers.Add((int)double.Parse(field[2..].TrimEnd('i'), CultureInfo.InvariantCulture));
                }
            }

            return new HttpResponseMessage(HttpStatusCode.NoContent);
        }
    }
}
