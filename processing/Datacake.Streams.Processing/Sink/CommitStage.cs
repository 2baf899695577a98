using Datacake.Streams.Processing.Pipeline;

namespace Datacake.Streams.Processing.Sink;

/// <summary>
/// The last step of a batch in the stream, after it was stored: counts it and queues its positions for the
/// <see cref="Checkpointer"/>, which saves each partition's state and then commits. Runs in stream order, so the
/// positions of a partition are queued in log order.
/// </summary>
internal sealed class CommitStage(Checkpointer checkpoints, ProcessingProgress progress, ProcessingMetrics metrics)
{
    public void Commit(WriteBatch batch)
    {
        metrics.DuplicatesDropped(batch.Duplicates);

        foreach (var commit in batch.Commits)
        {
            checkpoints.Enqueue(commit);
        }

        progress.OnRecordsDone(batch.Records);
    }
}
