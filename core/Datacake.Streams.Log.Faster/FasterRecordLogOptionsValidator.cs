using Datacake.Streams.RecordLog.Faster.Storage;
using Microsoft.Extensions.Options;

namespace Datacake.Streams.RecordLog.Faster;

/// <summary>Rejects settings that FasterLog would refuse or that would make the log unusable.</summary>
public sealed class FasterRecordLogOptionsValidator : IValidateOptions<FasterRecordLogOptions>
{
    // Beyond 1024 partitions a topic would open more files and memory than one machine should hold for it.
    private const int MaxPartitions = 1024;

    public ValidateOptionsResult Validate(string? name, FasterRecordLogOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();

        if (string.IsNullOrWhiteSpace(options.DataDirectory))
        {
            failures.Add("DataDirectory is required.");
        }

        if (options.Partitions is < 1 or > MaxPartitions)
        {
            failures.Add($"Partitions must be between 1 and {MaxPartitions}, was {options.Partitions}.");
        }

        foreach (var (topic, count) in options.TopicPartitions)
        {
            if (!LogNames.IsValid(topic))
            {
                failures.Add($"TopicPartitions: '{topic}' is not a valid topic name ({LogNames.Rule}).");
            }

            if (count is < 1 or > MaxPartitions)
            {
                failures.Add($"TopicPartitions: '{topic}' must have between 1 and {MaxPartitions} partitions, was {count}.");
            }
        }

        if (options.CommitInterval < TimeSpan.Zero || options.CommitInterval > TimeSpan.FromSeconds(1))
        {
            failures.Add($"CommitInterval must be between 0 and 1 s (appenders wait for it), was {options.CommitInterval}.");
        }

        if (options.ReopenDelay < TimeSpan.FromMilliseconds(10) || options.ReopenDelay > TimeSpan.FromMinutes(1))
        {
            failures.Add($"ReopenDelay must be between 10 ms and 1 minute, was {options.ReopenDelay}.");
        }

        if (!IsPowerOfTwoBetween(options.PageSizeBytes, 1L << 12, 1L << 28))
        {
            failures.Add($"PageSizeBytes must be a power of two between 4 KiB and 256 MiB, was {options.PageSizeBytes}.");
        }

        if (!IsPowerOfTwoBetween(options.MemorySizeBytes, 1L << 14, 1L << 34) || options.MemorySizeBytes < 4 * options.PageSizeBytes)
        {
            failures.Add($"MemorySizeBytes must be a power of two of at least 4 pages and at most 16 GiB, was {options.MemorySizeBytes}.");
        }

        if (!IsPowerOfTwoBetween(options.SegmentSizeBytes, 1L << 12, 1L << 40) || options.SegmentSizeBytes < options.PageSizeBytes)
        {
            failures.Add($"SegmentSizeBytes must be a power of two of at least one page, was {options.SegmentSizeBytes}.");
        }

        foreach (var (topic, bytes) in options.RetainBytes)
        {
            if (!LogNames.IsValid(topic))
            {
                failures.Add($"RetainBytes: '{topic}' is not a valid topic name ({LogNames.Rule}).");
            }

            if (bytes < options.PageSizeBytes)
            {
                failures.Add($"RetainBytes: '{topic}' must keep at least one page ({options.PageSizeBytes} bytes), was {bytes}.");
            }
        }

        if (options.RetainBytes.ContainsKey(LogTopics.Registry))
        {
            failures.Add($"RetainBytes: {LogTopics.Registry} is read from its start by every node and must be kept whole.");
        }

        if (options.GroupIdleExpiry < TimeSpan.FromMinutes(1))
        {
            failures.Add($"GroupIdleExpiry must be at least 1 minute, was {options.GroupIdleExpiry}.");
        }

        if (options.RetentionInterval < TimeSpan.FromSeconds(1) || options.RetentionInterval > TimeSpan.FromDays(1))
        {
            failures.Add($"RetentionInterval must be between 1 s and 1 day, was {options.RetentionInterval}.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static bool IsPowerOfTwoBetween(long value, long min, long max) =>
        value >= min && value <= max && long.IsPow2(value);
}
