using Datacake.Streams.RecordLog;

namespace Datacake.Streams.IntegrationTests.Core.RecordLog;

/// <summary>Reading a consumer in the FasterLog tests: a number of records within a deadline, or all there are.</summary>
internal static class LogReads
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    /// <summary>Exactly <paramref name="count"/> records, failing the test when they do not come within 30 s.</summary>
    public static List<LogRecord> Consume(IRecordLogConsumer consumer, int count)
    {
        var records = new List<LogRecord>(count);
        var deadline = DateTime.UtcNow + Deadline;
        while (records.Count < count)
        {
            Assert.True(DateTime.UtcNow < deadline, $"consumed {records.Count} of {count}");
            if (consumer.Consume(TimeSpan.FromMilliseconds(200)) is { } record)
            {
                records.Add(record);
            }
        }

        return records;
    }

    /// <summary>Every record until none comes for 500 ms.</summary>
    public static List<LogRecord> ConsumeAll(IRecordLogConsumer consumer)
    {
        var records = new List<LogRecord>();
        while (consumer.Consume(TimeSpan.FromMilliseconds(500)) is { } record)
        {
            records.Add(record);
        }

        return records;
    }
}
