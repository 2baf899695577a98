using System.Threading.Channels;
using Akka.Streams;
using Akka.Streams.Dsl;
using Akka.Streams.TestKit;
using Datacake.Streams.Ids;
using Datacake.Streams.Processing.Pipeline;
using Datacake.Streams.Processing.Source;
using Datacake.Streams.Processing.Values;
using Datacake.Streams.TestSupport;
using Microsoft.Extensions.Time.Testing;
using Datacake.Streams.Payloads.DeadLetters;

namespace Datacake.Streams.UnitTests.Processing;

public sealed class StageTests : Akka.TestKit.Xunit2.TestKit
{
    public StageTests()
        : base(TestDeadline.AkkaConfig)
    {
    }

    [Fact]
    public async Task The_log_source_emits_what_the_consumer_thread_reads_waits_without_blocking_and_completes_with_it()
    {
        var channel = Channel.CreateBounded<RecordChunk>(4);
        var sink = Akka.Streams.Dsl.Source.FromGraph(new LogSourceStage(channel.Reader)).RunWith(this.SinkProbe<RecordChunk>(), Sys.Materializer());
        sink.Request(2);
        sink.ExpectNoMsg(TimeSpan.FromMilliseconds(50));
        var first = RecordChunk.Of(ProcessingRecords.Decoded(1, values: 1));
        var second = RecordChunk.Of(ProcessingRecords.Decoded(2, values: 1));
        await channel.Writer.WriteAsync(first);
        Assert.Same(first, sink.ExpectNext());
        await channel.Writer.WriteAsync(second);
        Assert.Same(second, sink.ExpectNext());
        sink.Request(1);
        channel.Writer.Complete();
        sink.ExpectComplete();
    }

    [Fact]
    public void The_log_source_fails_when_the_consumer_fails()
    {
        var channel = Channel.CreateBounded<RecordChunk>(4);
        var sink = Akka.Streams.Dsl.Source.FromGraph(new LogSourceStage(channel.Reader)).RunWith(this.SinkProbe<RecordChunk>(), Sys.Materializer());
        sink.Request(1);
        channel.Writer.Complete(new Datacake.Streams.RecordLog.RecordLogUnavailableException("closed"));
        Assert.IsType<Datacake.Streams.RecordLog.RecordLogUnavailableException>(sink.ExpectError());
    }

    [Fact]
    public async Task The_partition_stage_drops_duplicates_decodes_and_refuses_points_outside_the_time_window()
    {
        var time = new FakeTimeProvider(ProcessingRecords.Now);
        var options = new ProcessingOptions();
        using var states = new PartitionStates(new InMemoryVerdicts());
        var device = DeviceId.New();
        var records = new[]
        {
            ProcessingRecords.Checked(ProcessingRecords.Json(device, """{"t":1}""", messageId: "m1"), 1),
            ProcessingRecords.Checked(ProcessingRecords.Json(device, """{"t":1}""", messageId: "m1"), 2),
            ProcessingRecords.Checked(ProcessingRecords.Json(device, """{"t":1}""", deviceTimeNs: ProcessingRecords.Ns(ProcessingRecords.Now.AddDays(-31))), 3),
            ProcessingRecords.Checked(ProcessingRecords.Json(device, """{"t":1}""", deviceTimeNs: ProcessingRecords.Ns(ProcessingRecords.Now.AddMinutes(6))), 4),
            ProcessingRecords.Checked(ProcessingRecords.Json(device, """{"t":1}""", deviceTimeNs: ProcessingRecords.Ns(ProcessingRecords.Now.AddMinutes(4))), 5),
            ProcessingRecords.Checked(ProcessingRecords.Json(device, """{"t":[true]}"""), 6),
        };

        var chunks = await Akka.Streams.Dsl.Source.Single(RecordChunk.Of(records))
            .Via(new PartitionStage(states, options, time))
            .RunWith(Sink.Seq<RecordChunk>(), Sys.Materializer());
        var output = Enumerable.Range(0, chunks[0].Count).Select(i => chunks[0][i]).ToList();

        Assert.Equal(
            [RejectReason.None, RejectReason.Duplicate, RejectReason.TooOld, RejectReason.TooFarInFuture, RejectReason.None, RejectReason.DecodeFailed],
            output.Select(r => r.Reason));
        Assert.Equal(1, output[0].ValuesCount);
        Assert.StartsWith($"{device},device={device} t=1 ", System.Text.Encoding.UTF8.GetString(output[0].ValuesLines.Span), StringComparison.Ordinal);
        Assert.Equal(0, output[2].ValuesCount);
    }

    [Fact]
    public async Task Records_rejected_before_the_partition_stage_pass_through_untouched()
    {
        using var states = new PartitionStates(new InMemoryVerdicts());
        var rejected = ProcessingRecords.Raw([1, 2, 3], 7);
        rejected.Reject(RejectReason.BadEnvelope, "envelope: Truncated");
        var output = await Akka.Streams.Dsl.Source.Single(RecordChunk.Of(rejected))
            .Via(new PartitionStage(states, new ProcessingOptions(), TimeProvider.System))
            .RunWith(Sink.Seq<RecordChunk>(), Sys.Materializer());
        var chunk = Assert.Single(output);
        Assert.Equal(RejectReason.BadEnvelope, chunk[0].Reason);
        Assert.Equal("envelope: Truncated", chunk[0].Detail);
    }
}
