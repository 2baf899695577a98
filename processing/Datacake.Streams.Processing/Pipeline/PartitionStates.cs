using System.Collections.Concurrent;
using Datacake.Streams.RecordLog;

namespace Datacake.Streams.Processing.Pipeline;

/// <summary>
/// The open <see cref="IPartitionState"/> of each partition and epoch: the partition stage opens them, the commit
/// stage tells them what was written.
/// </summary>
internal sealed class PartitionStates(IRecordVerdicts verdicts) : IDisposable
{
    private readonly ConcurrentDictionary<int, (long Epoch, IPartitionState State)> _open = new();

    public IPartitionState Open(int partition, long epoch)
    {
        // The previous epoch's state first: its last save (an append to the journal the new one reads) completes
        // before the new state loads, and no two instances write one partition's files.
        if (_open.TryRemove(partition, out var previous))
        {
            previous.State.Dispose();
        }

        var state = verdicts.Open(partition);
        _open[partition] = (epoch, state);
        return state;
    }

    /// <summary>Forwards to the partition's state when it is still the one of <paramref name="epoch"/>.</summary>
    public void Written(LogPosition upTo, long epoch)
    {
        if (_open.TryGetValue(upTo.Partition, out var open) && open.Epoch == epoch)
        {
            open.State.Written(upTo);
        }
    }

    public void Dispose()
    {
        foreach (var open in _open.Values)
        {
            open.State.Dispose();
        }

        _open.Clear();
    }
}
