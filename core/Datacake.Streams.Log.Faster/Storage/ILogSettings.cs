namespace Datacake.Streams.RecordLog.Faster.Storage;

/// <summary>
/// What the storage engine reads of <see cref="FasterRecordLogOptions"/>: the engine sits below the public options type
/// and so does not import it.
/// </summary>
internal interface ILogSettings
{
    string DataDirectory { get; }

    TimeSpan CommitInterval { get; }

    TimeSpan ReopenDelay { get; }

    long PageSizeBytes { get; }

    long MemorySizeBytes { get; }

    long SegmentSizeBytes { get; }

    IReadOnlyDictionary<string, long> RetainBytes { get; }

    TimeSpan GroupIdleExpiry { get; }

    TimeSpan RetentionInterval { get; }

    int PartitionsFor(string topic);
}
