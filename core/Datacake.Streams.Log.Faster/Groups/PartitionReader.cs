using Datacake.Streams.RecordLog.Faster.Storage;
using FASTER.core;

namespace Datacake.Streams.RecordLog.Faster.Groups;

/// <summary>A member's cursor over one partition: durable records in address order, skipping those already committed.</summary>
internal sealed class PartitionReader(string topic, int partition, FasterLogScanIterator iterator, long skipThrough) : IDisposable
{
    public int Partition => partition;

    public LogRecord? TryRead()
    {
        while (iterator.GetNext(out var entry, out var length, out var address, out _))
        {
            if (address <= skipThrough)
            {
                continue;
            }

            if (!RecordEntry.TryDecode(entry, length, out var key, out var value))
            {
                throw new InvalidDataException($"record at {topic}/{partition}@{address} is not in the record format (length {length})");
            }

            return new LogRecord(topic, new LogPosition(partition, address), key, value);
        }

        return null;
    }

    public void Dispose() => iterator.Dispose();
}
