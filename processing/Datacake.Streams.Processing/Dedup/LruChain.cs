namespace Datacake.Streams.Processing.Dedup;

/// <summary>
/// Orders per-device state from least to most recently used, so that the global cap evicts the device that has
/// been quiet longest. Single-threaded, like the partition that owns it.
/// </summary>
internal sealed class LruChain<TNode>
    where TNode : LruNode
{
    private LruNode? _oldest;
    private LruNode? _newest;

    public TNode? Oldest => (TNode?)_oldest;

    public void AddNewest(TNode node)
    {
        node.Older = _newest;
        node.Newer = null;
        if (_newest is not null)
        {
            _newest.Newer = node;
        }

        _newest = node;
        _oldest ??= node;
    }

    public void Touch(TNode node)
    {
        if (ReferenceEquals(node, _newest))
        {
            return;
        }

        Remove(node);
        AddNewest(node);
    }

    public void Remove(TNode node)
    {
        if (node.Older is not null)
        {
            node.Older.Newer = node.Newer;
        }
        else
        {
            _oldest = node.Newer;
        }

        if (node.Newer is not null)
        {
            node.Newer.Older = node.Older;
        }
        else
        {
            _newest = node.Older;
        }

        node.Older = null;
        node.Newer = null;
    }

    /// <summary>Oldest first; the caller must not change the chain while enumerating.</summary>
    public IEnumerable<TNode> OldestFirst()
    {
        for (var node = _oldest; node is not null; node = node.Newer)
        {
            yield return (TNode)node;
        }
    }
}
