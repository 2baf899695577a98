using Datacake.Streams.RecordLog;

namespace Datacake.Streams.Processing.Pipeline;

/// <summary>
/// A stage failed while it handled the record at <see cref="Position"/>: the stream fails with this, so that the
/// supervisor can tell a record that fails every run (<see cref="PoisonRecords"/>) from a passing fault.
/// </summary>
public sealed class RecordFailedException : Exception
{
    public RecordFailedException(LogPosition position, string stage, Exception cause)
        : base($"{stage} failed on record {position.Partition}@{position.Offset}: {cause?.GetType().Name}: {cause?.Message}", cause)
    {
        ArgumentNullException.ThrowIfNull(cause);
        Position = position;
        Stage = stage;
    }

    public LogPosition Position { get; }

    public string Stage { get; }

    /// <summary>
    /// True when <paramref name="error"/> may be the record's doing. An I/O error (the state folder's disk full, say)
    /// or a cancellation is the machine's, and would fail any record in hand the same way: never the record's fault.
    /// </summary>
    public static bool CanBeTheRecords(Exception error) =>
        error is not (IOException or UnauthorizedAccessException or OperationCanceledException or RecordFailedException);

    /// <summary>The record failure in <paramref name="error"/> or its inner exceptions (the stream wraps what a stage threw).</summary>
    public static RecordFailedException? Find(Exception? error)
    {
        for (var e = error; e is not null; e = e.InnerException)
        {
            if (e is RecordFailedException failed)
            {
                return failed;
            }

            if (e is AggregateException aggregate && aggregate.InnerExceptions.Count > 1)
            {
                return aggregate.InnerExceptions.Select(Find).FirstOrDefault(found => found is not null);
            }
        }

        return null;
    }
}
