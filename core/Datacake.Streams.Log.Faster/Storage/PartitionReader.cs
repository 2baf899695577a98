using System.Buffers;
using FASTER.core;

namespace Datacake.Streams.RecordLog.Faster.Storage;

/// <summary>A member's cursor over one partition: durable records in address order, skipping those already committed.</summary>
internal sealed class PartitionReader(string topic, int partition, FasterLogScanIterator iterator, long skipThrough) : IDisposable
{
    private readonly ScratchMemoryPool _scratch = new();

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

    /// <summary>As <see cref="TryRead"/>, copying key and value into <paramref name="destination"/> (no allocation).</summary>
    public bool TryReadInto(IBufferWriter<byte> destination, out LogPosition position, out int keyLength, out int valueLength)
    {
        while (iterator.GetNext(_scratch, out var owner, out var length, out var address))
        {
            if (address <= skipThrough)
            {
                continue;
            }

            if (!RecordEntry.TrySplit(owner.Memory.Span[..length], out var key, out var value))
            {
                throw new InvalidDataException($"record at {topic}/{partition}@{address} is not in the record format (length {length})");
            }

            var total = key.Length + value.Length;
            var span = destination.GetSpan(total);
            key.CopyTo(span);
            value.CopyTo(span[key.Length..]);
            destination.Advance(total);
            position = new LogPosition(partition, address);
            keyLength = key.Length;
            valueLength = value.Length;
            return true;
        }

        position = default;
        keyLength = 0;
        valueLength = 0;
        return false;
    }

    public void Dispose() => iterator.Dispose();
}
