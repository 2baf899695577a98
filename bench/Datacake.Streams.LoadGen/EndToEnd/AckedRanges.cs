namespace Datacake.Streams.LoadGen.EndToEnd;

/// <summary>The sequence numbers whose send was acknowledged (HTTP 202/204, MQTT PUBACK success), as ranges.</summary>
internal sealed class AckedRanges
{
    private readonly Lock _gate = new();
    private readonly List<(long First, int Count)> _ranges = [];
    private long _total;
    private long _failed;

    public long Total => Interlocked.Read(ref _total);

    /// <summary>Sends that were refused or got no answer: their points may or may not be stored, never twice.</summary>
    public long Failed => Interlocked.Read(ref _failed);

    public void Add(long first, int count)
    {
        AddRange(first, count);
        Count(count);
    }

    /// <summary>
    /// Records a range whose numbers were already counted with <see cref="Count"/>: a sender that coalesces
    /// acknowledgements into ranges counts them as they come, so that <see cref="Total"/> does not lag behind.
    /// </summary>
    public void AddRange(long first, int count)
    {
        lock (_gate)
        {
            _ranges.Add((first, count));
        }
    }

    public void Count(int count) => Interlocked.Add(ref _total, count);

    public void Fail(int count) => Interlocked.Add(ref _failed, count);

    /// <summary>Marks every acknowledged number in a flag array indexed by sequence number − <paramref name="first"/>.</summary>
    public bool[] ToFlags(long first, long total)
    {
        var flags = new bool[total];
        lock (_gate)
        {
            foreach (var (start, count) in _ranges)
            {
                Array.Fill(flags, true, (int)(start - first), count);
            }
        }

        return flags;
    }
}
