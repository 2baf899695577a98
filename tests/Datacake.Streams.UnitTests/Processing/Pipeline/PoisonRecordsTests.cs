using Datacake.Streams.Processing.Pipeline;
using Datacake.Streams.RecordLog;

namespace Datacake.Streams.UnitTests.Processing.Pipeline;

/// <summary>The count of failed runs in a row on one record that makes it poison.</summary>
public sealed class PoisonRecordsTests
{
    private static readonly LogPosition Record = new(2, 640);

    [Fact]
    public void A_record_failing_the_first_run_and_N_restarts_the_same_way_is_marked_with_the_cause()
    {
        var poison = new PoisonRecords();
        for (var run = 1; run <= 3; run++)
        {
            Assert.False(poison.CountFailedRun(Failure(Record, new InvalidOperationException("boom")), poisonAfterRestarts: 3));
            Assert.Equal(run, poison.FailedRunsInARow);
            Assert.False(poison.IsPoison(Record, out _));
        }

        Assert.True(poison.CountFailedRun(Failure(Record, new InvalidOperationException("boom")), poisonAfterRestarts: 3));
        Assert.True(poison.IsPoison(Record, out var detail));
        Assert.Contains("partition stage failed on this record in 4 runs in a row: InvalidOperationException: boom", detail, StringComparison.Ordinal);
        Assert.False(poison.IsPoison(new LogPosition(2, 641), out _));
        Assert.Equal(0, poison.FailedRunsInARow);
    }

    [Fact]
    public void Another_record_another_cause_or_a_failure_of_no_record_starts_the_count_over()
    {
        var poison = new PoisonRecords();
        poison.CountFailedRun(Failure(Record, new InvalidOperationException()), 1);
        Assert.Equal(1, poison.FailedRunsInARow);

        // InfluxDB down in between, say: a run that ended on no record breaks the series.
        poison.CountFailedRun(null, 1);
        Assert.Equal(0, poison.FailedRunsInARow);
        Assert.False(poison.CountFailedRun(Failure(Record, new InvalidOperationException()), 1));
        Assert.False(poison.CountFailedRun(Failure(Record, new FormatException()), 1));
        Assert.False(poison.CountFailedRun(Failure(new LogPosition(2, 700), new FormatException()), 1));
        Assert.Equal(1, poison.FailedRunsInARow);
        Assert.Equal(0, poison.Count);
    }

    [Fact]
    public void With_no_restarts_allowed_the_first_failure_marks_the_record()
    {
        var poison = new PoisonRecords();
        Assert.True(poison.CountFailedRun(Failure(Record, new InvalidOperationException()), poisonAfterRestarts: 0));
        Assert.Equal(1, poison.Count);
    }

    [Fact]
    public void Only_a_failure_that_can_be_the_records_is_pinned_on_it()
    {
        Assert.True(RecordFailedException.CanBeTheRecords(new InvalidOperationException()));
        Assert.True(RecordFailedException.CanBeTheRecords(new IndexOutOfRangeException()));

        // A full state disk or a stop would fail whichever record is in hand.
        Assert.False(RecordFailedException.CanBeTheRecords(new IOException("No space left on device")));
        Assert.False(RecordFailedException.CanBeTheRecords(new UnauthorizedAccessException()));
        Assert.False(RecordFailedException.CanBeTheRecords(new OperationCanceledException()));

        var failure = Failure(Record, new InvalidOperationException());
        Assert.Same(failure, RecordFailedException.Find(new AggregateException(new InvalidOperationException("outer", failure))));
        Assert.Null(RecordFailedException.Find(new AggregateException(new InvalidOperationException())));
    }

    private static RecordFailedException Failure(LogPosition position, Exception cause) => new(position, "partition stage", cause);
}
