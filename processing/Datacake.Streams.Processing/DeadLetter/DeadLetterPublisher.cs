using Datacake.Streams.Processing.Pipeline;
using Datacake.Streams.RecordLog;
using Datacake.Streams.Payloads.DeadLetters;

namespace Datacake.Streams.Processing.DeadLetter;

/// <summary>Appends rejected records to <c>dcs.deadletter</c>; completes once every one is durable.</summary>
public sealed class DeadLetterPublisher(IRecordLog log, TimeProvider time)
{
    /// <summary>Appends all of <paramref name="records"/> concurrently (the log batches its disk commits).</summary>
    /// <exception cref="RecordLogUnavailableException">The log refused at least one; the caller retries all.</exception>
    public async Task PublishAsync(IReadOnlyList<PipelineRecord> records, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(records);
        if (records.Count == 0)
        {
            return;
        }

        var now = time.GetUtcNow();
        var appends = new Task[records.Count];
        for (var i = 0; i < records.Count; i++)
        {
            var record = records[i];
            var letter = new DeadLetterRecord(record.Reason, record.Detail ?? string.Empty, record.Position, now, record.Value);
            appends[i] = log.AppendAsync(LogTopics.DeadLetter, record.DeviceKey, DeadLetterCodec.Encode(letter), cancellationToken).AsTask();
        }

        await Task.WhenAll(appends).ConfigureAwait(false);
    }
}
