using System.Collections.Concurrent;
using Datacake.Streams.RecordLog;

namespace Datacake.Streams.Processing.Pipeline;

/// <summary>
/// The supervisor's memory of records that fail the pipeline: it counts the failed runs in a row that ended on the
/// same record the same way (the same stage, the same exception type), and once a record failed in the first run and
/// in <see cref="ProcessingOptions.PoisonAfterRestarts"/> restarts after it, marks it poison. The next run's envelope
/// stage rejects a marked record with <c>poison</c>: dead-lettered and committed like any rejected record, so its
/// partition moves on, and the records around it are processed as ever. Kept in memory: after a process restart a
/// record gets its runs again.
/// </summary>
public sealed class PoisonRecords
{
    private readonly ConcurrentDictionary<LogPosition, string> _marked = new();
    private readonly Lock _gate = new();
    private (LogPosition Position, string Stage, Type Cause)? _last;
    private int _failedRuns;
    private volatile bool _anyMarked;

    /// <summary>Records marked poison so far.</summary>
    public int Count => _marked.Count;

    /// <summary>Failed runs in a row that ended on the same record the same way (0 after any other end).</summary>
    public int FailedRunsInARow
    {
        get
        {
            lock (_gate)
            {
                return _failedRuns;
            }
        }
    }

    /// <summary>True, with the dead letter's detail, when the record at <paramref name="position"/> is marked.</summary>
    public bool IsPoison(LogPosition position, out string detail)
    {
        // The common case costs one read: nothing was ever marked.
        if (!_anyMarked)
        {
            detail = string.Empty;
            return false;
        }

        return _marked.TryGetValue(position, out detail!);
    }

    /// <summary>
    /// Counts a failed run. <paramref name="failure"/> is the record failure it ended with, or null when it ended
    /// otherwise (which breaks any series). True when this run makes the record poison.
    /// </summary>
    public bool CountFailedRun(RecordFailedException? failure, int poisonAfterRestarts)
    {
        lock (_gate)
        {
            if (failure?.InnerException is not { } cause)
            {
                _last = null;
                _failedRuns = 0;
                return false;
            }

            var key = (failure.Position, failure.Stage, cause.GetType());
            _failedRuns = _last == key ? _failedRuns + 1 : 1;
            _last = key;
            if (_failedRuns <= poisonAfterRestarts)
            {
                return false;
            }

            _marked[failure.Position] = $"{failure.Stage} failed on this record in {_failedRuns} runs in a row: {cause.GetType().Name}: {cause.Message}";
            _anyMarked = true;
            _last = null;
            _failedRuns = 0;
            return true;
        }
    }
}
