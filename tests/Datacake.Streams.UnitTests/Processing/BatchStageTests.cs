using Akka.Streams;
using Akka.Streams.Dsl;
using Akka.Streams.TestKit;
using Datacake.Streams.Processing.Pipeline;
using Datacake.Streams.Processing.Source;
using Datacake.Streams.RecordLog;
using Datacake.Streams.Payloads.DeadLetters;

namespace Datacake.Streams.UnitTests.Processing;

public sealed class BatchStageTests : Akka.TestKit.Xunit2.TestKit
{
    public BatchStageTests()
        : base(TestDeadline.AkkaConfig)
    {
    }

    private static readonly TimeSpan s_long = TimeSpan.FromMinutes(5);

    private (TestPublisher.Probe<RecordChunk> In, TestSubscriber.Probe<WriteBatch> Out) Run(ProcessingOptions options)
    {
        var (source, sink) = this.SourceProbe<RecordChunk>()
            .Via(new BatchStage(options))
            .ToMaterialized(this.SinkProbe<WriteBatch>(), Keep.Both)
            .Run(Sys.Materializer());
        return (source, sink);
    }

    [Fact]
    public void A_batch_closes_at_the_size_and_commits_the_last_position_of_each_partition()
    {
        var (source, sink) = Run(new ProcessingOptions { BatchSize = 3, BatchWindow = s_long });
        sink.Request(1);
        source.SendNext(RecordChunk.Of(ProcessingRecords.Decoded(10, values: 1, partition: 0)));
        source.SendNext(RecordChunk.Of(ProcessingRecords.Decoded(20, values: 1, partition: 1)));
        source.SendNext(RecordChunk.Of(ProcessingRecords.Decoded(11, values: 1, partition: 0)));
        var batch = sink.ExpectNext();
        Assert.Equal(3, batch.Values.Count);
        Assert.Equal(3, batch.ValuesPoints);
        Assert.Equal([new CommitPoint(new LogPosition(0, 11), 1), new CommitPoint(new LogPosition(1, 20), 1)], batch.Commits.OrderBy(c => c.Position.Partition));
    }

    [Fact]
    public void The_window_closes_a_batch_that_does_not_fill()
    {
        var (source, sink) = Run(new ProcessingOptions { BatchSize = 100, BatchWindow = TimeSpan.FromMilliseconds(50) });
        sink.Request(1);
        source.SendNext(RecordChunk.Of(ProcessingRecords.Decoded(1, values: 2)));
        var batch = sink.ExpectNext();
        Assert.Equal(2, batch.ValuesPoints);
        Assert.Equal(new LogPosition(0, 1), Assert.Single(batch.Commits).Position);
    }

    [Fact]
    public void While_the_writer_is_busy_a_closed_window_waits_and_the_batch_fills_to_its_size()
    {
        var (source, sink) = Run(new ProcessingOptions { BatchSize = 3, BatchWindow = TimeSpan.FromMilliseconds(20) });
        sink.EnsureSubscription();
        source.SendNext(RecordChunk.Of(ProcessingRecords.Decoded(1, values: 1)));

        // Nothing is requested downstream (the writer is busy) for ten windows: no batch per window may queue up.
        sink.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        source.SendNext(RecordChunk.Of(ProcessingRecords.Decoded(2, values: 1)));
        source.SendNext(RecordChunk.Of(ProcessingRecords.Decoded(3, values: 1)));
        source.SendNext(RecordChunk.Of(ProcessingRecords.Decoded(4, values: 1)));
        sink.ExpectNoMsg(TimeSpan.FromMilliseconds(200));

        sink.Request(1);
        var first = sink.ExpectNext();
        Assert.Equal([1L, 2L, 3L], first.Values.Select(r => r.Position.Offset));
        Assert.Equal(new LogPosition(0, 3), Assert.Single(first.Commits).Position);

        // The fourth waited outside the full batch; the window closes its own.
        sink.Request(1);
        var second = sink.ExpectNext();
        Assert.Equal([4L], second.Values.Select(r => r.Position.Offset));
    }

    [Fact]
    public void Metadata_waits_while_measurements_fill_batches_and_holds_the_commit_back_until_written()
    {
        var (source, sink) = Run(new ProcessingOptions { BatchSize = 2, BatchWindow = TimeSpan.FromMilliseconds(300), MetaMaxDelay = s_long });
        sink.Request(3);
        // Records that must meet in one batch arrive in one chunk: two sends could be a window apart on a busy machine.
        source.SendNext(RecordChunk.Of(ProcessingRecords.Decoded(1, values: 1), ProcessingRecords.Decoded(2, values: 1, meta: 1)));
        var first = sink.ExpectNext();
        Assert.Empty(first.Meta);
        Assert.Equal(new LogPosition(0, 1), Assert.Single(first.Commits).Position);

        source.SendNext(RecordChunk.Of(ProcessingRecords.Decoded(3, values: 1), ProcessingRecords.Decoded(4, values: 1)));
        var second = sink.ExpectNext();
        Assert.Empty(second.Meta);
        Assert.Empty(second.Commits);

        // The measurement lane goes idle: the window closes a batch and the metadata rides along.
        source.SendNext(RecordChunk.Of(ProcessingRecords.Decoded(5, values: 1)));
        var third = sink.ExpectNext();
        Assert.Equal(new LogPosition(0, 2), Assert.Single(third.Meta).Position);
        Assert.Equal(new LogPosition(0, 5), Assert.Single(third.Commits).Position);
    }

    [Fact]
    public void Metadata_is_written_after_its_maximum_delay_even_when_measurements_keep_batches_full()
    {
        var (source, sink) = Run(new ProcessingOptions { BatchSize = 2, BatchWindow = s_long, MetaMaxDelay = TimeSpan.FromMilliseconds(100) });
        sink.Request(10);
        source.SendNext(RecordChunk.Of(ProcessingRecords.Decoded(1, values: 1, meta: 1), ProcessingRecords.Decoded(2, values: 1)));
        var full = sink.ExpectNext();
        Assert.Empty(full.Meta);
        Assert.Empty(full.Commits);
        var late = sink.ExpectNext();
        Assert.Equal(new LogPosition(0, 1), Assert.Single(late.Meta).Position);
        Assert.Equal(new LogPosition(0, 2), Assert.Single(late.Commits).Position);
    }

    [Fact]
    public void Rejected_records_go_to_dead_letters_duplicates_are_counted_and_both_advance_the_commit()
    {
        var (source, sink) = Run(new ProcessingOptions { BatchSize = 100, BatchWindow = TimeSpan.FromMilliseconds(50) });
        sink.Request(1);
        var rejected = ProcessingRecords.Decoded(1, values: 0);
        rejected.Reject(RejectReason.BadSignature, "x");
        var duplicate = ProcessingRecords.Decoded(2, values: 0);
        duplicate.Reject(RejectReason.Duplicate, null);
        source.SendNext(RecordChunk.Of(rejected, duplicate));
        var batch = sink.ExpectNext();
        Assert.Same(rejected, Assert.Single(batch.DeadLetters));
        Assert.Empty(batch.Values);
        Assert.Equal(1, batch.Duplicates);
        Assert.Equal(2, batch.Records);
        Assert.Equal(new LogPosition(0, 2), Assert.Single(batch.Commits).Position);
    }

    [Fact]
    public void A_new_epoch_starts_the_partition_over_and_its_commits_carry_it()
    {
        var (source, sink) = Run(new ProcessingOptions { BatchSize = 2, BatchWindow = s_long });
        sink.Request(2);
        source.SendNext(RecordChunk.Of(ProcessingRecords.Decoded(50, values: 1, epoch: 1)));
        source.SendNext(RecordChunk.Of(ProcessingRecords.Decoded(51, values: 1, epoch: 1)));
        Assert.Equal(new CommitPoint(new LogPosition(0, 51), 1), Assert.Single(sink.ExpectNext().Commits));
        source.SendNext(RecordChunk.Of(ProcessingRecords.Decoded(40, values: 1, epoch: 2)));
        source.SendNext(RecordChunk.Of(ProcessingRecords.Decoded(41, values: 1, epoch: 2)));
        Assert.Equal(new CommitPoint(new LogPosition(0, 41), 2), Assert.Single(sink.ExpectNext().Commits));
    }

    [Fact]
    public void Upstream_completion_flushes_everything_including_metadata()
    {
        var (source, sink) = Run(new ProcessingOptions { BatchSize = 100, BatchWindow = s_long, MetaMaxDelay = s_long });
        sink.Request(1);
        source.SendNext(RecordChunk.Of(ProcessingRecords.Decoded(1, values: 1, meta: 2)));
        source.SendComplete();
        var batch = sink.ExpectNext();
        Assert.Equal(2, batch.MetaPoints);
        Assert.Single(batch.Commits);
        sink.ExpectComplete();
    }

    [Fact]
    public void A_chunk_larger_than_a_batch_is_split_into_full_batches_that_wait_for_demand()
    {
        var (source, sink) = Run(new ProcessingOptions { BatchSize = 2, BatchWindow = s_long });
        var chunk = new RecordChunk(partition: 0, epoch: 1);
        for (var offset = 1; offset <= 5; offset++)
        {
            chunk.Add(ProcessingRecords.Decoded(offset, values: 1));
        }

        sink.Request(1);
        source.SendNext(chunk);
        var first = sink.ExpectNext();
        Assert.Equal([1L, 2L], first.Values.Select(r => r.Position.Offset));
        Assert.Equal(new LogPosition(0, 2), Assert.Single(first.Commits).Position);

        // No demand: the rest of the chunk waits instead of piling up in one oversized batch.
        sink.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        sink.Request(1);
        var second = sink.ExpectNext();
        Assert.Equal([3L, 4L], second.Values.Select(r => r.Position.Offset));
        Assert.Equal(new LogPosition(0, 4), Assert.Single(second.Commits).Position);

        sink.Request(1);
        source.SendComplete();
        var last = sink.ExpectNext();
        Assert.Equal([5L], last.Values.Select(r => r.Position.Offset));
        Assert.Equal(new LogPosition(0, 5), Assert.Single(last.Commits).Position);
        sink.ExpectComplete();
    }
}
