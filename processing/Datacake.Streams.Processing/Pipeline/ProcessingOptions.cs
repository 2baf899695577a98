using Microsoft.Extensions.Options;

namespace Datacake.Streams.Processing.Pipeline;

/// <summary>Settings of the processing pipeline (section "Processing").</summary>
public sealed record ProcessingOptions
{
    public const string Section = "Processing";

    /// <summary>Consumer group of the processors on <c>dcs.raw</c>; members of one group split the partitions.</summary>
    public string ConsumerGroup { get; init; } = "dcs-processors";

    /// <summary>
    /// Points per InfluxDB write. 5,000 is InfluxData's recommended batch size; one keep-alive writer reached
    /// ~160k points/s here with it.
    /// </summary>
    public int BatchSize { get; init; } = 5_000;

    /// <summary>A batch is written at the latest this long after its first record: bounds latency at low rates.</summary>
    public TimeSpan BatchWindow { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// Metadata (P1) waits while measurements (P0) fill whole batches, but never longer than this; then it rides
    /// along with the next batch. Records whose metadata waits are not committed meanwhile.
    /// </summary>
    public TimeSpan MetaMaxDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Batches written concurrently. Two writers reached ~300k points/s against ~160k for one; commits still go
    /// in order because the write stage emits in order.
    /// </summary>
    public int WriteParallelism { get; init; } = 2;

    /// <summary>First delay before a failed write (or dead-letter append) is retried; doubles up to <see cref="WriteRetryMaxDelay"/>.</summary>
    public TimeSpan WriteRetry { get; init; } = TimeSpan.FromMilliseconds(200);

    public TimeSpan WriteRetryMaxDelay { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Retention policy of measurements (docs/DATA-MODEL.md: <c>raw</c>, the database's default).</summary>
    public string ValuesRetentionPolicy { get; init; } = "raw";

    /// <summary>Retention policy of metadata points.</summary>
    public string MetaRetentionPolicy { get; init; } = "meta";

    /// <summary>Points more than this ahead of the processor's clock are refused (too_far_in_future).</summary>
    public TimeSpan MaxFutureSkew { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Points older than this are refused (too_old): the raw tier's retention would drop them anyway.</summary>
    public TimeSpan MaxAge { get; init; } = TimeSpan.FromDays(30);

    /// <summary>Records read ahead of the stream by the consumer thread; with the stream's own buffers this bounds memory.</summary>
    public int ReadAhead { get; init; } = 4_096;

    /// <summary>Most partitions one member may own (one substream each).</summary>
    public int MaxPartitions { get; init; } = 256;

    /// <summary>
    /// Folder of the per-partition replay/dedup state files; empty means <c>&lt;Streams:DataDirectory&gt;/processing/state</c>.
    /// Must be on local disk of the member that owns the partitions (each member loads it on assignment).
    /// </summary>
    public string? StateDirectory { get; init; }

    /// <summary>
    /// Least time between two saves of the replay/dedup state (each a snapshot of the whole state and two fsyncs)
    /// while batches keep coming; the commits of the batches written meanwhile wait for the next save. Zero saves
    /// after every group of batches. 50 ms: ≤ 20 snapshots/s of a 4 MB state; a crash replays at most that much more.
    /// </summary>
    public TimeSpan CheckpointInterval { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>How long a graceful stop waits for in-flight batches to be written and committed.</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// First wait before a pipeline that failed is started again from the committed positions; doubles after each
    /// failure up to <see cref="RestartMaxDelay"/>. 1 s: a one-off fault costs about a second of processing.
    /// </summary>
    public TimeSpan RestartDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest wait between restarts. 30 s: a pipeline failing at once on every start re-reads its uncommitted records at most twice a minute.</summary>
    public TimeSpan RestartMaxDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>A run that lasted this long before it failed counts as healthy: the next restart waits <see cref="RestartDelay"/> again.</summary>
    public TimeSpan RestartResetAfter { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// How long processing may stay down (failing, waiting for a restart, or never up for <see cref="RestartResetAfter"/>
    /// in a row) before <c>/healthz</c> fails, so that an orchestrator replaces a node its own restarts do not mend.
    /// 5 min: ten restarts at the capped 30 s backoff, far past a one-off fault, short enough that a stuck node's
    /// partitions do not wait an hour.
    /// </summary>
    public TimeSpan DownLimit { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// A record that made a stage fail (the same stage, the same exception type) in the first run and again after
    /// this many restarts in a row is dead-lettered <c>poison</c> by the next run, so that its partition moves on.
    /// 3: a one-off fault (a restart mends it) never costs a record; with the default backoff the record is given up
    /// after about 1 + 2 + 4 + 8 s.
    /// </summary>
    public int PoisonAfterRestarts { get; init; } = 3;

    /// <summary>
    /// Distinct value-field names one device may have stored; a record that would add more is dead-lettered
    /// <c>too_many_fields</c>. 1,000: ten times the 100 fields one point may carry, room for a device whose
    /// firmware renamed its fields a few times; a device's own look-ups over 1,000 names (its <c>/last</c>, one
    /// statement per field) took ~120 ms here, the most this limit lets one device cost itself.
    /// </summary>
    public int MaxFieldNamesPerDevice { get; init; } = 1_000;
}

public sealed class ProcessingOptionsValidator : IValidateOptions<ProcessingOptions>
{
    public ValidateOptionsResult Validate(string? name, ProcessingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.ConsumerGroup))
        {
            failures.Add("Processing:ConsumerGroup: required");
        }

        if (string.IsNullOrWhiteSpace(options.ValuesRetentionPolicy) || string.IsNullOrWhiteSpace(options.MetaRetentionPolicy))
        {
            failures.Add("Processing:ValuesRetentionPolicy and MetaRetentionPolicy: required");
        }

        // 25 MB request limit of influxd / ~200 bytes per point leaves room for 100k; more only adds latency.
        if (options.BatchSize is < 1 or > 100_000)
        {
            failures.Add("Processing:BatchSize: 1 to 100000");
        }

        Positive(options.BatchWindow, "BatchWindow", failures);
        Positive(options.MetaMaxDelay, "MetaMaxDelay", failures);
        Positive(options.WriteRetry, "WriteRetry", failures);
        Positive(options.MaxFutureSkew, "MaxFutureSkew", failures);
        Positive(options.MaxAge, "MaxAge", failures);
        Positive(options.DrainTimeout, "DrainTimeout", failures);
        if (options.CheckpointInterval < TimeSpan.Zero || options.CheckpointInterval > TimeSpan.FromSeconds(10))
        {
            failures.Add("Processing:CheckpointInterval: 0 to 10 s");
        }

        Positive(options.RestartDelay, "RestartDelay", failures);
        Positive(options.RestartResetAfter, "RestartResetAfter", failures);
        if (options.DownLimit <= options.RestartMaxDelay)
        {
            failures.Add("Processing:DownLimit: longer than RestartMaxDelay (one backoff alone would fail the liveness check)");
        }
        if (options.RestartMaxDelay < options.RestartDelay)
        {
            failures.Add("Processing:RestartMaxDelay: at least RestartDelay");
        }

        if (options.WriteRetryMaxDelay < options.WriteRetry)
        {
            failures.Add("Processing:WriteRetryMaxDelay: at least WriteRetry");
        }

        if (options.WriteParallelism is < 1 or > 16)
        {
            failures.Add("Processing:WriteParallelism: 1 to 16");
        }

        if (options.ReadAhead is < 1 or > 1_000_000)
        {
            failures.Add("Processing:ReadAhead: 1 to 1000000");
        }

        if (options.MaxPartitions is < 1 or > 10_000)
        {
            failures.Add("Processing:MaxPartitions: 1 to 10000");
        }

        if (options.PoisonAfterRestarts is < 0 or > 100)
        {
            failures.Add("Processing:PoisonAfterRestarts: 0 to 100");
        }

        if (options.MaxFieldNamesPerDevice is < 1 or > 100_000)
        {
            failures.Add("Processing:MaxFieldNamesPerDevice: 1 to 100000");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void Positive(TimeSpan value, string name, List<string> failures)
    {
        if (value <= TimeSpan.Zero)
        {
            failures.Add($"Processing:{name}: greater than zero");
        }
    }
}
