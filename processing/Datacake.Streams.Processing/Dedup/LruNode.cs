namespace Datacake.Streams.Processing.Dedup;

/// <summary>A node of an intrusive least-recently-used chain: no allocation per touch, O(1) move and evict.</summary>
internal abstract class LruNode
{
    public LruNode? Older { get; set; }

    public LruNode? Newer { get; set; }
}
