using Akka.Configuration;
using Akka.Streams;
using Akka.Streams.Dsl;
using Akka.Streams.TestKit;
using Datacake.Streams.Access;
using Datacake.Streams.Ids;
using Datacake.Streams.Processing.Pipeline;
using Datacake.Streams.Records;
using Microsoft.Extensions.Time.Testing;
using Datacake.Streams.Payloads.DeadLetters;

namespace Datacake.Streams.UnitTests.Processing;

/// <summary>
/// The registry catch-up round before refusing a fresh record as unknown is awaited without holding a stream thread,
/// and the partition's chunks leave in log order. The stages run on a dispatcher of ONE thread: a stage that blocked
/// it for the round (the former <c>Wait(10 s)</c>) would stop every other stream on it.
/// </summary>
public sealed class EnvelopeStageTests : Akka.TestKit.Xunit2.TestKit
{
    private const string Config = TestDeadline.AkkaConfig + """

        single-thread-dispatcher {
          type = ForkJoinDispatcher
          throughput = 10
          dedicated-thread-pool {
            thread-count = 1
            threadtype = background
          }
        }
        """;

    private readonly AdapterSigner _signer = new(AdapterKeyring.CreateRandom());
    private readonly RegistryView _registry = new();
    private readonly DeviceId _device = DeviceId.New();
    private readonly TokenHash _known = TokenHash.Of(AccessToken.New().Secret);
    private readonly TokenHash _fresh = TokenHash.Of(AccessToken.New().Secret);
    private readonly FakeTimeProvider _time = new(ProcessingRecords.Now);
    private readonly TaskCompletionSource _round = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ActorMaterializer _materializer;
    private int _rounds;

    public EnvelopeStageTests()
        : base(ConfigurationFactory.ParseString(Config))
    {
        _registry.Apply(new WorkspaceUpserted(new WorkspaceEntry("ws", null)));
        _registry.Apply(new DeviceUpserted(new DeviceEntry { Id = _device, WorkspaceId = "ws" }));
        _registry.Apply(new TokenUpserted(Grant("t1", _known)));
        _materializer = Sys.Materializer(ActorMaterializerSettings.Create(Sys).WithDispatcher("single-thread-dispatcher"));
    }

    [Fact]
    public async Task The_round_is_awaited_without_blocking_the_thread_and_the_chunks_keep_their_order()
    {
        var check = new EnvelopeCheck(_signer, _registry, CatchUp, () => 42, _time);
        var output = Source.From([Chunk(0, _fresh), Chunk(1, _known)])
            .Via(new EnvelopeStage(check))
            .RunWith(this.SinkProbe<RecordChunk>(), _materializer);
        output.Request(2);
        Assert.True(SpinWait.SpinUntil(() => Volatile.Read(ref _rounds) == 1, TestDeadline.Wait), "no catch-up round started");

        // The only thread of the dispatcher is free while the round runs: another stream on it completes.
        var other = Source.From(Enumerable.Range(1, 100)).Select(i => i * 2).RunWith(Sink.Sum<int>((a, b) => a + b), _materializer);
        var finished = await Task.WhenAny(other, Task.Delay(TestDeadline.Wait)) == other;
        Assert.True(finished, "the stream thread is blocked by the catch-up round");
        Assert.Equal(10_100, await other);

        // Nothing leaves ahead of the waiting chunk: the known record behind it waits too.
        output.ExpectNoMsg(TimeSpan.FromMilliseconds(100));

        // The round brings the token created on another node; the record is checked again and passes.
        _registry.Apply(new TokenUpserted(Grant("t2", _fresh)));
        _round.SetResult();
        var first = output.ExpectNext();
        var second = output.ExpectNext();

        Assert.Equal(0, first[0].Position.Offset);
        Assert.Equal(RejectReason.None, first[0].Reason);
        Assert.Equal(1, second[0].Position.Offset);
        Assert.Equal(RejectReason.None, second[0].Reason);
        Assert.Equal(1, Volatile.Read(ref _rounds));
    }

    [Fact]
    public void A_failed_round_refuses_the_record_as_before_and_keeps_the_order()
    {
        var check = new EnvelopeCheck(_signer, _registry, CatchUp, () => 42, _time);
        var output = Source.From([Chunk(0, _fresh), Chunk(1, _known)])
            .Via(new EnvelopeStage(check))
            .RunWith(this.SinkProbe<RecordChunk>(), _materializer);
        output.Request(2);
        Assert.True(SpinWait.SpinUntil(() => Volatile.Read(ref _rounds) == 1, TestDeadline.Wait), "no catch-up round started");

        _round.SetException(new InvalidOperationException("registry log unreachable"));
        var first = output.ExpectNext();
        var second = output.ExpectNext();

        Assert.Equal(RejectReason.UnknownCredential, first[0].Reason);
        Assert.Equal(RejectReason.None, second[0].Reason);
        output.ExpectComplete();
    }

    [Fact]
    public async Task Old_and_known_records_start_no_round()
    {
        var check = new EnvelopeCheck(_signer, _registry, CatchUp, () => 42, _time);
        var stale = ProcessingRecords.Raw(_signer.EncodeSigned(Record(_fresh) with { ReceivedAtUnixNs = ProcessingRecords.Ns(ProcessingRecords.Now.AddMinutes(-3)) }), 0);

        var chunks = Source.From([RecordChunk.Of(stale), Chunk(1, _known)])
            .Via(new EnvelopeStage(check))
            .RunWith(Sink.Seq<RecordChunk>(), _materializer);

        var result = await chunks.WaitAsync(TestDeadline.Wait);
        Assert.Equal(RejectReason.UnknownCredential, result[0][0].Reason);
        Assert.Equal(RejectReason.None, result[1][0].Reason);
        Assert.Equal(0, Volatile.Read(ref _rounds));
    }

    private Task CatchUp(long since, CancellationToken cancellationToken)
    {
        Assert.Equal(42, since);
        Interlocked.Increment(ref _rounds);
        return _round.Task;
    }

    private RecordChunk Chunk(long offset, TokenHash token) => RecordChunk.Of(ProcessingRecords.Raw(_signer.EncodeSigned(Record(token)), offset));

    private RawRecord Record(TokenHash token) =>
        ProcessingRecords.Json(_device, """{"t":1}""", token) with { ReceivedAtUnixNs = ProcessingRecords.Ns(ProcessingRecords.Now.AddSeconds(-1)) };

    private TokenGrant Grant(string id, TokenHash hash) => new()
    {
        TokenId = id,
        Hash = hash,
        Devices = [new DeviceGrant(_device, DeviceAccess.ReadWrite)],
    };
}
