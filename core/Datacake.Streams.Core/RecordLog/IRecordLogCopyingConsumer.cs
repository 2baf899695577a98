using System.Buffers;

namespace Datacake.Streams.RecordLog;

/// <summary>
/// A consumer that copies the next record into memory the caller owns instead of returning a new
/// <see cref="LogRecord"/> with arrays of its own. The processing pipeline reads into one buffer per chunk of records:
/// at 500k records/s a LogRecord plus its entry array per record (~350 B) was most of the pipeline's garbage.
/// Optional: the pipeline copies out of <see cref="IRecordLogConsumer.Consume"/> for a consumer without it.
/// </summary>
public interface IRecordLogCopyingConsumer : IRecordLogConsumer
{
    /// <summary>
    /// As <see cref="IRecordLogConsumer.Consume"/>; when a record arrives, writes its key and then its value into
    /// <paramref name="destination"/> (one <c>GetSpan</c> of their joint length, then <c>Advance</c>) and returns true.
    /// </summary>
    bool TryConsumeInto(TimeSpan timeout, IBufferWriter<byte> destination, out LogPosition position, out int keyLength, out int valueLength);
}
