namespace Datacake.Streams.RecordLog.Faster;

/// <summary>Settings of the embedded record log (one FasterLog per topic partition under <see cref="DataDirectory"/>).</summary>
public sealed record FasterRecordLogOptions : Storage.ILogSettings
{
    /// <summary>Configuration section name.</summary>
    public const string Section = "RecordLog:Faster";

    /// <summary>
    /// Root directory; a topic's partition lives in <c>&lt;DataDirectory&gt;/&lt;topic&gt;/&lt;partition&gt;/</c>. Settable
    /// (the other settings are init-only) because the host sets it after binding: the folder is its data folder, not a key.
    /// </summary>
    public string DataDirectory { get; set; } = Path.Combine("data", "log");

    /// <summary>
    /// Partitions of a topic created by this process. A topic that already exists on disk keeps the count it was
    /// created with: changing it would move keys to other partitions and break per-device order.
    /// </summary>
    public int Partitions { get; init; } = 4;

    /// <summary>Per-topic partition counts that override <see cref="Partitions"/> for new topics.</summary>
    public IReadOnlyDictionary<string, int> TopicPartitions { get; init; } = new Dictionary<string, int>();

    /// <summary>
    /// Least time between two commits of one partition. Appenders wait for the commit that covers their record,
    /// so this bounds the batching delay. 2 ms: the disk here does ~2,200 fsyncs/s, and 1M appends/s of 200 B
    /// were measured with a commit every ~2 ms (docs: ENVIRONMENT.md).
    /// </summary>
    public TimeSpan CommitInterval { get; init; } = TimeSpan.FromMilliseconds(2);

    /// <summary>
    /// After a failed commit (disk full, I/O error) a partition refuses appends (ingest answers 503) for this long,
    /// then reopens its files at the last whole commit and takes appends again; while the disk stays full this
    /// repeats. 1 s: about ingest's Retry-After, and ample for the failed log's own writes under way to finish.
    /// </summary>
    public TimeSpan ReopenDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>FasterLog page size in bytes (power of two). A record must fit in one page.</summary>
    public long PageSizeBytes { get; init; } = 1L << 20;

    /// <summary>
    /// In-memory part of each partition's log in bytes (power of two, at least 4 pages). 16 MiB holds ~300 ms of a
    /// partition's share of 1M records/s of 200 B, far more than one commit interval; 3 topics x 4 partitions use 192 MiB.
    /// </summary>
    public long MemorySizeBytes { get; init; } = 1L << 24;

    /// <summary>Size of one log file on disk in bytes (power of two, at least one page).</summary>
    public long SegmentSizeBytes { get; init; } = 1L << 28;

    /// <summary>
    /// Topics whose old records are deleted, with the bytes of each partition's log kept on disk: records beyond the
    /// newest this many bytes go once every consumer group of the topic has committed past them (a group that
    /// committed nothing for <see cref="GroupIdleExpiry"/> no longer counts). A topic not named here is kept whole:
    /// <c>dcs.registry</c> is read from its start by every node. Defaults: the raw records 4 GiB per partition (16 GiB
    /// for 4 partitions; at 1,000 records/s of ~300 B that is ~15 h of history per partition beyond what processing
    /// has committed), dead letters 1 GiB per partition. Without it the embedded log grew without bound.
    /// </summary>
    public IReadOnlyDictionary<string, long> RetainBytes { get; init; } = new Dictionary<string, long>
    {
        [LogTopics.Raw] = 4L << 30,
        [LogTopics.DeadLetter] = 1L << 30,
    };

    /// <summary>A consumer group that committed nothing for this long no longer holds records back from retention.</summary>
    public TimeSpan GroupIdleExpiry { get; init; } = TimeSpan.FromDays(7);

    /// <summary>How often retention looks at each topic's partitions.</summary>
    public TimeSpan RetentionInterval { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>The partition count a new topic gets.</summary>
    public int PartitionsFor(string topic) =>
        TopicPartitions.TryGetValue(topic, out var count) ? count : Partitions;

    /// <summary>The largest key plus value that fits in one record.</summary>
    internal int MaxRecordBytes => (int)Math.Min(int.MaxValue, PageSizeBytes) - Storage.RecordEntry.Overhead - 64;
}
