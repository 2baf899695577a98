namespace Datacake.Streams.RecordLog.Faster.Storage;

/// <summary>
/// Maps a key to its partition with 32-bit FNV-1a over the key bytes: fixed by its definition, so the same key
/// lands on the same partition in every process and after every restart (string.GetHashCode is randomized per process).
/// </summary>
internal static class KeyPartitioner
{
    private const uint OffsetBasis = 2166136261;
    private const uint Prime = 16777619;

    public static uint Hash(ReadOnlySpan<byte> key)
    {
        var hash = OffsetBasis;
        foreach (var b in key)
        {
            hash = (hash ^ b) * Prime;
        }

        return hash;
    }

    public static int PartitionOf(ReadOnlySpan<byte> key, int partitions) => (int)(Hash(key) % (uint)partitions);
}
