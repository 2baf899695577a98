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

        // Nothing refers to these records after the commit is queued: their chunks may be filled again.
        foreach (var chunk in batch.Chunks)
        {
            chunk.Release();
        }
    }
}
