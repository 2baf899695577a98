using System.Buffers;

namespace Datacake.Streams.RecordLog.Faster.Storage;

/// <summary>
/// A <see cref="MemoryPool{T}"/> of one reusable buffer: what <c>FasterLogScanIterator.GetNext(MemoryPool, ...)</c>
/// copies an entry into when the reader copies it out again at once (<see cref="IRecordLogCopyingConsumer"/>), so that
/// reading allocates nothing per record. Not thread-safe: one per partition reader; the previous rent is invalid
/// after the next.
/// </summary>
internal sealed class ScratchMemoryPool : MemoryPool<byte>
{
    private readonly Owner _owner = new();

    public override int MaxBufferSize => Array.MaxLength;

    public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
    {
        _owner.Ensure(Math.Max(minBufferSize, 1));
        return _owner;
    }

    protected override void Dispose(bool disposing)
    {
    }

    private sealed class Owner : IMemoryOwner<byte>
    {
        // 4 KiB covers raw records of small payloads; a larger entry grows it once, to the next power of two.
        private byte[] _buffer = new byte[4096];

        public Memory<byte> Memory => _buffer;

        public void Ensure(int size)
        {
            if (_buffer.Length < size)
            {
                _buffer = new byte[(int)Math.Min(Array.MaxLength, System.Numerics.BitOperations.RoundUpToPowerOf2((uint)size))];
            }
        }

        public void Dispose()
        {
            // Kept for the next entry.
        }
    }
}
