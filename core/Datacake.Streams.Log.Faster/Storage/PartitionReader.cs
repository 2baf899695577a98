using System.Buffers;
using FASTER.core;

namespace Datacake.Streams.RecordLog.Faster.Storage;

/// <summary>
/// A member's cursor over one partition: durable records in address order, skipping those already committed.
/// It scans the partition's files as opened now: after a reopen (a failed commit) it moves to the new opening at
/// the address it reached, and it never hands out a record past <see cref="PartitionLog.CommittedUntil"/>.
/// </summary>
internal sealed class PartitionReader : IDisposable
{
    private readonly string _topic;
    private readonly PartitionLog _log;
    private readonly long _skipThrough;
    private readonly ScratchMemoryPool _scratch = new();
    private LogOpening? _files;
    private FasterLogScanIterator? _iterator;

    // Where the next scan starts when the iterator is made again (first read, reopen, or a record not yet durable).
    private long _next;

    public PartitionReader(string topic, PartitionLog log, long begin, long skipThrough)
    {
        _topic = topic;
        _log = log;
        _next = begin;
        _skipThrough = skipThrough;
    }

    public int Partition => _log.Partition;

    public LogRecord? TryRead()
    {
        while (TryGetIterator(out var iterator) && iterator.GetNext(out var entry, out var length, out var address, out _))
        {
            if (address <= _skipThrough)
            {
                continue;
            }

            if (!IsDurable(address))
            {
                break;
            }

            if (!RecordEntry.TryDecode(entry, length, out var key, out var value))
            {
                throw new InvalidDataException($"record at {_topic}/{Partition}@{address} is not in the record format (length {length})");
            }

            return new LogRecord(_topic, new LogPosition(Partition, address), key, value);
        }

        return null;
    }

    /// <summary>As <see cref="TryRead"/>, copying key and value into <paramref name="destination"/> (no allocation).</summary>
    public bool TryReadInto(IBufferWriter<byte> destination, out LogPosition position, out int keyLength, out int valueLength)
    {
        while (TryGetIterator(out var iterator) && iterator.GetNext(_scratch, out var owner, out var length, out var address))
        {
            if (address <= _skipThrough)
            {
                continue;
            }

            if (!IsDurable(address))
            {
                break;
            }

            if (!RecordEntry.TrySplit(owner.Memory.Span[..length], out var key, out var value))
            {
                throw new InvalidDataException($"record at {_topic}/{Partition}@{address} is not in the record format (length {length})");
            }

            var total = key.Length + value.Length;
            var span = destination.GetSpan(total);
            key.CopyTo(span);
            value.CopyTo(span[key.Length..]);
            destination.Advance(total);
            position = new LogPosition(Partition, address);
            keyLength = key.Length;
            valueLength = value.Length;
            return true;
        }

        position = default;
        keyLength = 0;
        valueLength = 0;
        return false;
    }

    /// <summary>
    /// FasterLog counts a commit as done once its records are flushed, even when its commit file was not written
    /// (disk full): such a record is not handed out, and the scan starts again at it once it is durable, or after the
    /// reopen that drops it.
    /// </summary>
    private bool IsDurable(long address)
    {
        var durable = _log.CommittedUntil;
        if (address < durable)
        {
            return true;
        }

        // The durable end is a record boundary at or before this record: after a reopen the next append goes there.
        CloseIterator(resumeAt: Math.Min(address, durable));
        return false;
    }

    /// <summary>The iterator over the partition's current files, made (again) where the last one stopped.</summary>
    private bool TryGetIterator(out FasterLogScanIterator iterator)
    {
        var current = _log.Files;
        if (_iterator is not null)
        {
            if (ReferenceEquals(_files, current))
            {
                iterator = _iterator;
                return true;
            }

            CloseIterator(resumeAt: _iterator.NextAddress);
        }

        iterator = null!;
        if (!ReferenceEquals(_files, current))
        {
            _files?.Release();
            _files = current.TryAcquire() ? current : null;
            if (_files is null)
            {
                return false;
            }
        }

        // Nothing durable past where this reader stopped: no iterator (nor its buffers) until there is.
        if (_next >= _log.CommittedUntil)
        {
            return false;
        }

        var log = current.Log;
        _iterator = log.Scan(Math.Max(_next, log.BeginAddress), long.MaxValue, name: null, recover: false, scanUncommitted: false);
        iterator = _iterator;
        return true;
    }

    private void CloseIterator(long resumeAt)
    {
        _iterator?.Dispose();
        _iterator = null;
        _next = resumeAt;
    }

    public void Dispose()
    {
        _iterator?.Dispose();
        _iterator = null;
        _files?.Release();
        _files = null;
    }
}
