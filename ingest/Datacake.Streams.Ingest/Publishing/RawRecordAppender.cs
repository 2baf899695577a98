using System.Runtime.CompilerServices;
using Datacake.Streams.Ids;
using Datacake.Streams.RecordLog;
using Datacake.Streams.Records;

namespace Datacake.Streams.Ingest.Publishing;

/// <summary>
/// The one way every protocol adapter puts a raw anonymous record on <c>dcs.raw</c>: signed with this node's adapter
/// key, keyed by the 16 device id bytes (so one device's records stay in order on one partition), and complete only
/// once the log holds it durably. An adapter acknowledges its client after <see cref="AppendAsync"/> returns
/// <see cref="AppendOutcome.Durable"/>, never before.
/// </summary>
public sealed class RawRecordAppender(IRecordLog log, AdapterSigner signer)
{
    /// <summary>
    /// Signs and appends <paramref name="record"/>. <see cref="AppendOutcome.Unavailable"/> when the log cannot take
    /// records now (answer 503 / MQTT "server unavailable": the client retries and nothing was stored).
    /// </summary>
    public ValueTask<AppendOutcome> AppendAsync(in RawRecord record, CancellationToken cancellationToken = default)
    {
        ValueTask<LogPosition> append;
        try
        {
            append = StartAppend(record, cancellationToken);
        }
        catch (RecordLogUnavailableException)
        {
            return new ValueTask<AppendOutcome>(AppendOutcome.Unavailable);
        }
        catch (Exception e)
        {
            // As from an async method: a refused argument or a cancellation surfaces where the caller awaits.
            return ValueTask.FromException<AppendOutcome>(e);
        }

        if (append.IsCompletedSuccessfully)
        {
            _ = append.Result;
            return new ValueTask<AppendOutcome>(AppendOutcome.Durable);
        }

        return AwaitDurableAsync(append);
    }

    /// <summary>
    /// Signs and encodes <paramref name="record"/> and hands it to the log; the result completes once the record is
    /// durable and faults with <see cref="RecordLogUnavailableException"/> when it will not be. Every read of
    /// <paramref name="record"/>'s payload happens before this returns, so the caller may reuse the payload's buffer
    /// right away. For callers that track completion themselves (MQTT QoS 0) without an async method per record.
    /// </summary>
    /// <exception cref="RecordLogUnavailableException">The log refused the record at once.</exception>
    public ValueTask<LogPosition> StartAppend(in RawRecord record, CancellationToken cancellationToken = default)
    {
        // The log may keep a reference to the value until the append is durable: hand it an array we own.
        var value = signer.EncodeSigned(record with { Version = RawRecord.CurrentVersion });
        var key = new byte[DeviceId.ByteLength];
        record.DeviceId.WriteBytes(key);
        return log.AppendAsync(LogTopics.Raw, key, value, cancellationToken);
    }

    // Pooled: every HTTP request and QoS 1 message awaits one append; an unpooled box per append copies the whole record.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private static async ValueTask<AppendOutcome> AwaitDurableAsync(ValueTask<LogPosition> append)
    {
        try
        {
            await append.ConfigureAwait(false);
            return AppendOutcome.Durable;
        }
        catch (RecordLogUnavailableException)
        {
            return AppendOutcome.Unavailable;
        }
    }
}

/// <summary>What became of an append.</summary>
public enum AppendOutcome
{
    /// <summary>The record is durable in the log: acknowledge the client.</summary>
    Durable,

    /// <summary>Nothing was stored; tell the client to retry (HTTP 503 with Retry-After, MQTT 0x88/0x97).</summary>
    Unavailable,
}
