using Datacake.Streams.Processing.Pipeline;
using Datacake.Streams.Processing.Source;

namespace Datacake.Streams.Processing.Sink;

/// <summary>
/// The last step of a batch, after it was stored: tells each partition's state what is covered, then hands the
/// positions to the consumer thread to commit. Runs in stream order, so commits go in log order per partition.
/// </summary>
internal sealed class CommitStage(PartitionStates states, LogConsumerPump pump, ProcessingProgress progress, ProcessingMetrics metrics)
{
    public void Commit(WriteBatch batch)
    {
        metrics.DuplicatesDropped(batch.Duplicates);

        foreach (var commit in batch.Commits)
        {
            states.Written(commit.Position, commit.Epoch);
            pump.RequestCommit(commit);
        }

        progress.OnRecordsDone(batch.Records);
    }
}
