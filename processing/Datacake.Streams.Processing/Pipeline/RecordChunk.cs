namespace Datacake.Streams.Processing.Pipeline;

/// <summary>
/// Consecutive records of one partition and assignment epoch, in log order: the element the stream carries.
/// </summary>
/// <remarks>
/// Akka.Streams costs ~100-300 ns per element and async boundary; at the 500k records/s of issue 5 (2 µs of a core
/// per record for everything) one element per record would spend a good part of that on the hand-offs alone. A
/// chunk of up to <see cref="Capacity"/> records pays it once for all of them. The consumer thread fills a chunk per
/// partition and hands it over when it is full, or at once when the stream is waiting (so a lone record is not
/// delayed).
/// </remarks>
public sealed class RecordChunk
{
    /// <summary>Records per chunk: 256 puts the per-element overhead near 1 ns per record; more only adds latency.</summary>
    public const int Capacity = 256;

    private readonly PipelineRecord[] _records;

    public RecordChunk(int partition, long epoch, int capacity = Capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Partition = partition;
        Epoch = epoch;
        _records = new PipelineRecord[capacity];
    }

    public int Partition { get; }

    /// <summary>The partition's assignment epoch of every record in the chunk.</summary>
    public long Epoch { get; }

    public int Count { get; private set; }

    public bool IsFull => Count == _records.Length;

    public PipelineRecord this[int index] => (uint)index < (uint)Count ? _records[index] : throw new ArgumentOutOfRangeException(nameof(index));

    /// <summary>A chunk of the given records (tests, and stages fed one record at a time).</summary>
    public static RecordChunk Of(params PipelineRecord[] records)
    {
        ArgumentNullException.ThrowIfNull(records);
        if (records.Length == 0)
        {
            throw new ArgumentException("a chunk holds at least one record", nameof(records));
        }

        var chunk = new RecordChunk(records[0].Partition, records[0].Epoch, records.Length);
        foreach (var record in records)
        {
            chunk.Add(record);
        }

        return chunk;
    }

    /// <summary>Appends the next record of the partition; it must be of the chunk's partition and epoch.</summary>
    public void Add(PipelineRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (record.Partition != Partition || record.Epoch != Epoch)
        {
            throw new ArgumentException($"record of partition {record.Partition} epoch {record.Epoch} in a chunk of partition {Partition} epoch {Epoch}", nameof(record));
        }

        if (IsFull)
        {
            throw new InvalidOperationException("the chunk is full");
        }

        _records[Count++] = record;
    }
}
