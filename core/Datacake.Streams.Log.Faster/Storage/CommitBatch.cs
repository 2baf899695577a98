namespace Datacake.Streams.RecordLog.Faster.Storage;

/// <summary>
/// The appends that the next commit of a partition will cover. Every appender of the batch awaits the same task,
/// so a commit of thousands of records completes one task instead of thousands.
/// </summary>
internal sealed class CommitBatch
{
    // Continuations run where the batch is completed: a thread-pool item queued by the committer, so one
    // thread resumes the whole batch without a work item per appender.
    private readonly TaskCompletionSource _durable = new(TaskCreationOptions.None);
    private int _taken;

    /// <summary>True once an appender waits on this batch: the committer has work.</summary>
    public bool IsTaken => Volatile.Read(ref _taken) == 1;

    /// <summary>
    /// Marks the batch as awaited. Only the first appender pays the fence (Interlocked.Exchange); it orders the
    /// mark before that appender's look at the committer's park flag.
    /// </summary>
    public void Take()
    {
        if (Volatile.Read(ref _taken) == 0)
        {
            Interlocked.Exchange(ref _taken, 1);
        }
    }

    /// <summary>Completes when the covering commit is durable; faults with <see cref="RecordLogUnavailableException"/> otherwise.</summary>
    public Task Durable => _durable.Task;

    /// <summary>A batch that refuses appends: the partition is closed or failed.</summary>
    public static CommitBatch Refused(RecordLogUnavailableException reason)
    {
        var batch = new CommitBatch();
        batch._durable.SetException(reason);
        batch.Durable.Exception?.Handle(_ => true);
        return batch;
    }

    /// <summary>Completes the batch off the committer's thread so that the next commit is not delayed by resuming appenders.</summary>
    public void CompleteLater() =>
        ThreadPool.UnsafeQueueUserWorkItem(static batch => batch._durable.TrySetResult(), this, preferLocal: false);

    public void Fail(RecordLogUnavailableException reason) =>
        ThreadPool.UnsafeQueueUserWorkItem(static state => state.Batch._durable.TrySetException(state.Reason), (Batch: this, Reason: reason), preferLocal: false);
}
