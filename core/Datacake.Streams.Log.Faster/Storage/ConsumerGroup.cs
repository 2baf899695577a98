
namespace Datacake.Streams.RecordLog.Faster.Storage;

/// <summary>
/// The coordinator of one consumer group on one topic, in process: it splits the partitions evenly among the
/// live members (partition p goes to the (p mod n)-th member in join order), reassigns on every join and leave,
/// and keeps the group's committed positions durable.
/// </summary>
internal sealed class ConsumerGroup : IDisposable
{
    private readonly Lock _gate = new();
    private readonly TopicLog _topic;
    private readonly GroupPositions _positions;
    private readonly ProgressSignal _progress;
    private readonly List<GroupMember> _members = [];
    private readonly GroupMember?[] _owners;
    private readonly long[] _latestStarts;
    private long _generation;

    public ConsumerGroup(TopicLog topic, string name, ProgressSignal progress)
    {
        _topic = topic;
        Name = name;
        _progress = progress;
        _owners = new GroupMember?[topic.Partitions.Count];
        _latestStarts = new long[topic.Partitions.Count];
        Array.Fill(_latestStarts, GroupPositions.None);
        _positions = GroupPositions.Open(Path.Combine(topic.Directory, "groups", name + ".positions"), topic.Partitions.Count);
    }

    public string Name { get; }

    /// <summary>Changes whenever the assignment changes; members compare it to know when to re-read theirs.</summary>
    public long Generation => Interlocked.Read(ref _generation);

    public void Join(GroupMember member)
    {
        lock (_gate)
        {
            _members.Add(member);
            Rebalance();
        }

        _progress.Pulse();
    }

    public void Leave(GroupMember member)
    {
        lock (_gate)
        {
            if (!_members.Remove(member))
            {
                return;
            }

            Rebalance();
        }

        _progress.Pulse();
    }

    /// <summary>The partitions <paramref name="member"/> owns now, ascending, with the generation they belong to.</summary>
    public int[] AssignmentOf(GroupMember member, out long generation)
    {
        lock (_gate)
        {
            generation = _generation;
            var owned = new List<int>();
            for (var p = 0; p < _owners.Length; p++)
            {
                if (ReferenceEquals(_owners[p], member))
                {
                    owned.Add(p);
                }
            }

            return [.. owned];
        }
    }

    /// <summary>
    /// Where <paramref name="member"/> starts reading a partition it was just given: after the group's committed
    /// offset, else at the start the member asked for. Records at or below <paramref name="skipThrough"/> were already done.
    /// </summary>
    public long StartOf(int partition, StartPosition start, out long skipThrough)
    {
        lock (_gate)
        {
            var committed = _positions[partition];
            if (committed != GroupPositions.None)
            {
                skipThrough = committed;
                return committed;
            }

            skipThrough = GroupPositions.None;
            if (start == StartPosition.Earliest)
            {
                return _topic.Partitions[partition].Begin;
            }

            // "Latest" is fixed the first time the group needs it, so a partition that moves to another member
            // before anything was committed does not skip the records appended in between.
            if (_latestStarts[partition] == GroupPositions.None)
            {
                _latestStarts[partition] = _topic.Partitions[partition].Tail;
            }

            return _latestStarts[partition];
        }
    }

    /// <summary>Commits for the group; false when <paramref name="member"/> no longer owns the partition.</summary>
    public bool TryCommit(GroupMember member, LogPosition position)
    {
        var partitions = _topic.Partitions;
        if ((uint)position.Partition >= (uint)partitions.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(position), position, $"topic {_topic.Name} has {partitions.Count} partitions");
        }

        var log = partitions[position.Partition];
        if (position.Offset < log.Begin || position.Offset >= log.CommittedUntil)
        {
            throw new ArgumentOutOfRangeException(nameof(position), position, "the offset is not a record this group could have consumed");
        }

        lock (_gate)
        {
            if (!ReferenceEquals(_owners[position.Partition], member))
            {
                return false;
            }

            _positions.Advance(position.Partition, position.Offset);
            return true;
        }
    }

    private void Rebalance()
    {
        for (var p = 0; p < _owners.Length; p++)
        {
            _owners[p] = _members.Count == 0 ? null : _members[p % _members.Count];
        }

        Interlocked.Increment(ref _generation);
    }

    public void Dispose() => _positions.Dispose();
}
