using Datacake.Streams.RecordLog;

namespace Datacake.Streams.Processing.Pipeline;

/// <summary>
/// Consecutive records of one partition and assignment epoch, in log order: the element the stream carries.
/// </summary>
/// <remarks>
/// <para>Akka.Streams costs ~100-300 ns per element and async boundary; at the 500k records/s of issue 5 (2 µs of a
/// core per record for everything) one element per record would spend a good part of that on the hand-offs alone. A
/// chunk of up to <see cref="Capacity"/> records pays it once for all of them. The consumer thread fills a chunk per
/// partition and hands it over when it is full, or at once when the stream is waiting (so a lone record is not
/// delayed).</para>
/// <para>A chunk from a <see cref="RecordChunkPool"/> holds the bytes of its records in one buffer and its
/// <see cref="PipelineRecord"/>s, and is reused once nothing refers to them any more: the stream holds it until the
/// batch stage has taken every record, and each batch holding some of its records until that batch is committed
/// (<see cref="Hold"/>, <see cref="Release"/>). Reading a record then allocates nothing.</para>
/// </remarks>
public sealed class RecordChunk
{
    /// <summary>Records per chunk: 256 puts the per-element overhead near 1 ns per record; more only adds latency.</summary>
    public const int Capacity = 256;

    // Room for 256 records of ~300 B of key and value, and below the 85,000 B from which arrays go to the large
    // object heap; a chunk of larger records grows its buffer (and keeps it while pooled).
    private const int InitialBufferBytes = 80 * 1024;

    private readonly PipelineRecord?[] _records;
    private readonly RecordChunkPool? _pool;
    private byte[] _buffer = [];
    private PointChunks? _valuesLines;
    private PointChunks? _metaLines;
    private int _used;
    private int _holds;

    public RecordChunk(int partition, long epoch, int capacity = Capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Partition = partition;
        Epoch = epoch;
        _records = new PipelineRecord[capacity];
    }

    internal RecordChunk(RecordChunkPool pool, int capacity)
        : this(0, 0, capacity)
    {
        _pool = pool;
    }

    public int Partition { get; private set; }

    /// <summary>The partition's assignment epoch of every record in the chunk.</summary>
    public long Epoch { get; private set; }

    public int Count { get; private set; }

    public bool IsFull => Count == _records.Length;

    /// <summary>Bytes of the chunk's buffers: records and line protocol (what a pool keeps of it).</summary>
    internal int BufferBytes => _buffer.Length + (_valuesLines?.Capacity ?? 0) + (_metaLines?.Capacity ?? 0);

    /// <summary>Where the partition stage writes the measurement lines of this chunk's records.</summary>
    internal PointChunks ValuesLines => _valuesLines ??= new PointChunks();

    /// <summary>Where the partition stage writes the metadata lines of this chunk's records.</summary>
    internal PointChunks MetaLines => _metaLines ??= new PointChunks();

    public PipelineRecord this[int index] => (uint)index < (uint)Count ? _records[index]! : throw new ArgumentOutOfRangeException(nameof(index));

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
        if (_pool is not null)
        {
            throw new InvalidOperationException("a pooled chunk owns its records: add their bytes instead");
        }

        CheckNext(record.Partition, record.Epoch);
        _records[Count++] = record;
    }

    /// <summary>Copies the next record of the partition into the chunk's buffer and makes a record of it.</summary>
    internal void Add(LogPosition position, long epoch, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        CheckNext(position.Partition, epoch);
        var total = key.Length + value.Length;
        if (_buffer.Length - _used < total)
        {
            // Records already added keep the old buffer alive through their slices; new ones go to the new one.
            _buffer = new byte[Math.Max(Math.Max(InitialBufferBytes, total), _buffer.Length * 2)];
            _used = 0;
        }

        var at = _used;
        key.CopyTo(_buffer.AsSpan(at));
        value.CopyTo(_buffer.AsSpan(at + key.Length));
        _used += total;
        var record = _records[Count] ??= new PipelineRecord();
        record.Reset(position, epoch, _buffer.AsMemory(at, key.Length), _buffer.AsMemory(at + key.Length, value.Length));
        Count++;
    }

    /// <summary>One more holder (a batch with records of this chunk) that must <see cref="Release"/> it.</summary>
    internal void Hold() => Interlocked.Increment(ref _holds);

    /// <summary>A holder is done with the records; the last one returns a pooled chunk to its pool.</summary>
    internal void Release()
    {
        if (Interlocked.Decrement(ref _holds) == 0)
        {
            _pool?.Return(this);
        }
    }

    /// <summary>Empties a pooled chunk for <paramref name="partition"/>; the stream's hold is the first.</summary>
    internal void Reuse(int partition, long epoch)
    {
        Partition = partition;
        Epoch = epoch;
        Count = 0;
        _used = 0;
        _valuesLines?.Reset();
        _metaLines?.Reset();
        _holds = 1;
    }

    private void CheckNext(int partition, long epoch)
    {
        if (partition != Partition || epoch != Epoch)
        {
            throw new ArgumentException($"record of partition {partition} epoch {epoch} in a chunk of partition {Partition} epoch {Epoch}");
        }

        if (IsFull)
        {
            throw new InvalidOperationException("the chunk is full");
        }
    }
}
