using System.Collections.Concurrent;
using System.Diagnostics;
using Datacake.Streams.Processing.Pipeline;
using Datacake.Streams.Processing.Source;
using Microsoft.Extensions.Logging;

namespace Datacake.Streams.Processing.Sink;

/// <summary>
/// The step between a stored batch and its commit, on a thread of its own: tells each partition's state what is
/// written (<see cref="IPartitionState.Written"/>: accept into replay guard and dedup, save the state file), then hands
/// the position to the consumer thread to commit. Order per partition stays write → state → commit.
/// </summary>
/// <remarks>
/// Saving a partition's state costs an fsync (~2,200 fsyncs/s measured on this disk) plus, now and then, a snapshot
/// of the whole state (PartitionJournal). Done in the stream for every batch and partition, it capped the pipeline at
/// a few batches per second and stalled every stage behind it. Here positions that arrive while a save runs are
/// grouped: the next save covers all of them with one journal entry and one fsync per partition, and the stream does not
/// wait. Commits lag the writes by at most one save; a crash in between replays records whose points are
/// rewritten identically (docs/PROCESSING.md).
/// <para>Saves are paced: while positions keep coming, the next save waits until <c>interval</c> after the last one
/// began, gathering them; when none comes for <see cref="QuietPeriod"/> it saves at once. A save appends the records
/// written since the previous one to the partition's journal and fsyncs it; saving back to back, as fast as the
/// fsyncs allowed, spent more on fsyncs (and, before the journal, on snapshots of unchanged keys) than the records
/// themselves cost (pipeline benchmark profile).</para>
/// </remarks>
internal sealed class Checkpointer : IDisposable
{
    private readonly PartitionStates _states;
    private readonly LogConsumerPump _pump;
    private readonly Action<Exception> _onFailure;
    private readonly ILogger _logger;
    private readonly BlockingCollection<CommitPoint> _queue = new(new ConcurrentQueue<CommitPoint>());
    private readonly CancellationTokenSource _kill = new();
    private readonly List<CommitPoint> _group = [];
    private readonly Thread _thread;
    private readonly TimeSpan _interval;
    private long _lastSave;
    private volatile bool _failed;
    private int _killed;

    // No position for this long: the stream is idle or at its end, so waiting for more would only delay the commit.
    // Batches of 5,000 records at 500k records/s come every 10 ms.
    private static readonly TimeSpan QuietPeriod = TimeSpan.FromMilliseconds(10);

    public Checkpointer(PartitionStates states, LogConsumerPump pump, Action<Exception> onFailure, ILogger logger, TimeSpan interval = default)
    {
        _interval = interval;
        _states = states;
        _pump = pump;
        _onFailure = onFailure;
        _logger = logger;
        _thread = new Thread(Run) { IsBackground = true, Name = "dcs-checkpoint" };
        _thread.Start();
    }

    /// <summary>Queues a written position; never blocks the stream.</summary>
    public void Enqueue(CommitPoint commit)
    {
        try
        {
            _queue.Add(commit);
        }
        catch (InvalidOperationException)
        {
            // Stopped or killed: a batch finishing after that is not committed (it is read again on restart).
        }
    }

    /// <summary>Graceful stop: every queued position is saved and handed to the pump before this returns (or the timeout passes).</summary>
    public bool Flush(TimeSpan timeout)
    {
        _queue.CompleteAdding();
        return _thread.Join(timeout);
    }

    /// <summary>A crash: nothing queued is saved or committed any more (a save under way completes).</summary>
    public void Kill()
    {
        if (Interlocked.Exchange(ref _killed, 1) != 0)
        {
            return;
        }

        _kill.Cancel();
        _queue.CompleteAdding();
        _thread.Join();
    }

    public void Dispose()
    {
        Kill();
        _queue.Dispose();
        _kill.Dispose();
    }

    private void Run()
    {
        try
        {
            while (_queue.TryTake(out var first, Timeout.Infinite, _kill.Token))
            {
                Group(first);
                GatherUntilDue();

                foreach (var commit in _group)
                {
                    if (_kill.IsCancellationRequested || _failed)
                    {
                        return;
                    }

                    _states.Written(commit.Position, commit.Epoch);
                    _pump.RequestCommit(commit);
                }

                _group.Clear();
            }
        }
        catch (OperationCanceledException)
        {
            // Killed.
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A state that cannot be saved must not be committed past: stop committing and fail the stream.
            _failed = true;
            LogSaveFailed(_logger, e);
            _onFailure(e);
        }
    }

    /// <summary>Takes the positions queued meanwhile, and while more keep coming, those up to the save's due time.</summary>
    private void GatherUntilDue()
    {
        while (_queue.TryTake(out var next))
        {
            Group(next);
        }

        // Real time on purpose: this paces disk work; it decides nothing about records (a fake clock in tests must
        // not stop commits).
        var due = _lastSave + (long)(_interval.TotalSeconds * Stopwatch.Frequency);
        while (true)
        {
            var remaining = TimeSpan.FromSeconds((due - Stopwatch.GetTimestamp()) / (double)Stopwatch.Frequency);
            var wait = remaining < QuietPeriod ? remaining : QuietPeriod;
            if (remaining <= TimeSpan.Zero || !_queue.TryTake(out var next, (int)Math.Ceiling(wait.TotalMilliseconds), _kill.Token))
            {
                break;
            }

            Group(next);
        }

        _lastSave = Stopwatch.GetTimestamp();
    }

    /// <summary>Keeps the highest position per partition and epoch, in the order they first came.</summary>
    private void Group(CommitPoint commit)
    {
        for (var i = 0; i < _group.Count; i++)
        {
            var existing = _group[i];
            if (existing.Position.Partition == commit.Position.Partition && existing.Epoch == commit.Epoch)
            {
                if (commit.Position.Offset > existing.Position.Offset)
                {
                    _group[i] = commit;
                }

                return;
            }
        }

        _group.Add(commit);
    }

    private static readonly Action<ILogger, Exception?> s_saveFailed =
        LoggerMessage.Define(LogLevel.Error, new EventId(20, "StateSaveFailed"), "Saving partition state failed; nothing more is committed and the processing stream stops");

    private static void LogSaveFailed(ILogger logger, Exception e) => s_saveFailed(logger, e);
}
