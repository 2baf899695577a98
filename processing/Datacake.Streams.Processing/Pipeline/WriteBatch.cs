
namespace Datacake.Streams.Processing.Pipeline;

/// <summary>
/// What the batch stage hands to the writer: records with measurement points, records whose metadata points are
/// due, records to dead-letter, and the positions that may be committed once all of it is stored.
/// </summary>
public sealed class WriteBatch
{
    public required IReadOnlyList<PipelineRecord> Values { get; init; }

    public required IReadOnlyList<PipelineRecord> Meta { get; init; }

    /// <summary>Rejected records; the writer adds those InfluxDB refused (rejected_by_store).</summary>
    public required List<PipelineRecord> DeadLetters { get; init; }

    public required IReadOnlyList<CommitPoint> Commits { get; init; }

    /// <summary>Records of the batch in all: written, dead-lettered and duplicates.</summary>
    public required int Records { get; init; }

    /// <summary>Duplicates dropped in this batch (counted, never dead-lettered).</summary>
    public int Duplicates { get; init; }

    /// <summary>The chunks this batch's records live in; the commit stage releases them once the batch is committed.</summary>
    internal IReadOnlyList<RecordChunk> Chunks { get; init; } = [];

    public int ValuesPoints => Values.Sum(r => r.ValuesCount);

    public int MetaPoints => Meta.Sum(r => r.MetaCount);
}
