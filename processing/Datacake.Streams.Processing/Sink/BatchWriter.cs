using System.Buffers;
using Datacake.Streams.Influx.Client;
using Datacake.Streams.Processing.DeadLetter;
using Datacake.Streams.Processing.Pipeline;
using Datacake.Streams.RecordLog;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Datacake.Streams.Payloads.DeadLetters;
using Datacake.Streams.Storage;

namespace Datacake.Streams.Processing.Sink;

/// <summary>
/// Stores one <see cref="WriteBatch"/>: measurements to retention policy <c>raw</c>, then metadata to <c>meta</c>,
/// then the dead letters, each retried until it succeeds. Only then does the batch move on to the commit.
/// </summary>
/// <remarks>
/// While InfluxDB is down, its retention policy is missing, or the log refuses dead letters, the writer waits with
/// backoff and the stream behind it backpressures: consumption stops, nothing is committed, memory stays bounded
/// by the batches in flight. Points InfluxDB refuses (a field type conflict, an unparsable line) dead-letter their
/// records with <c>rejected_by_store</c>; the rest of the batch is written and committed. So does a single record
/// whose points alone exceed InfluxDB's body limit (HTTP 413, or <c>Influx:MaxBodyBytes</c> before sending).
/// </remarks>
public sealed class BatchWriter
{
    private readonly InfluxClient _influx;
    private readonly DeadLetterPublisher _deadLetters;
    private readonly ProcessingOptions _options;
    private readonly ProcessingMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly WriteBackoff _backoff;
    private readonly RollupMarker _marker;
    private readonly ILogger _logger;

    public BatchWriter(InfluxClient influx, DeadLetterPublisher deadLetters, ProcessingOptions options, ProcessingMetrics metrics, TimeProvider time, ILogger? logger = null)
    {
        _influx = influx;
        _deadLetters = deadLetters;
        _options = options;
        _metrics = metrics;
        _time = time;
        _backoff = new WriteBackoff(options.WriteRetry, options.WriteRetryMaxDelay, time);
        _marker = new RollupMarker(time);
        _logger = logger ?? NullLogger.Instance;
    }

    public async Task<WriteBatch> WriteAsync(WriteBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        await WriteLaneAsync(batch, batch.Values, Lane.Values, cancellationToken).ConfigureAwait(false);
        await WriteLaneAsync(batch, batch.Meta, Lane.Meta, cancellationToken).ConfigureAwait(false);
        await PublishDeadLettersAsync(batch.DeadLetters, cancellationToken).ConfigureAwait(false);
        return batch;
    }

    private enum Lane
    {
        Values,
        Meta,
    }

    private static int Count(PipelineRecord record, Lane lane) => lane == Lane.Values ? record.ValuesCount : record.MetaCount;

    private static ReadOnlyMemory<byte> Lines(PipelineRecord record, Lane lane) => lane == Lane.Values ? record.ValuesLines : record.MetaLines;

    private async Task WriteLaneAsync(WriteBatch batch, IReadOnlyList<PipelineRecord> records, Lane lane, CancellationToken cancellationToken)
    {
        var live = new List<PipelineRecord>(records.Count);
        foreach (var record in records)
        {
            if (!record.IsRejected && Count(record, lane) > 0)
            {
                live.Add(record);
            }
        }

        var policy = lane == Lane.Values ? _options.ValuesRetentionPolicy : _options.MetaRetentionPolicy;
        var attempt = 0;
        while (live.Count > 0)
        {
            var outcome = await TryWriteAsync(live, lane, policy, cancellationToken).ConfigureAwait(false);
            switch (outcome.Kind)
            {
                case WriteOutcomeKind.Written:
                    return;
                case WriteOutcomeKind.Retry:
                    attempt++;
                    await _backoff.WaitAsync(attempt, cancellationToken).ConfigureAwait(false);
                    continue;
                default:
                    var refused = outcome.Refused!;
                    if (refused.Count == 0)
                    {
                        // InfluxDB refused points it did not name: find them one record at a time.
                        await WriteOneByOneAsync(batch, live, lane, policy, cancellationToken).ConfigureAwait(false);
                        return;
                    }

                    foreach (var (record, reason) in refused)
                    {
                        record.Reject(RejectReason.RejectedByStore, reason);
                        batch.DeadLetters.Add(record);
                    }

                    live.RemoveAll(r => r.IsRejected);
                    if (outcome.OthersKept)
                    {
                        return;
                    }

                    // Nothing (or not everything) else was kept: rewrite the rest; points with explicit timestamps
                    // that did land are overwritten with themselves.
                    continue;
            }
        }
    }

    private async Task WriteOneByOneAsync(WriteBatch batch, List<PipelineRecord> records, Lane lane, string policy, CancellationToken cancellationToken)
    {
        foreach (var record in records)
        {
            var attempt = 0;
            while (true)
            {
                var outcome = await TryWriteAsync([record], lane, policy, cancellationToken).ConfigureAwait(false);
                if (outcome.Kind == WriteOutcomeKind.Retry)
                {
                    attempt++;
                    await _backoff.WaitAsync(attempt, cancellationToken).ConfigureAwait(false);
                    continue;
                }

                if (outcome.Kind == WriteOutcomeKind.Refused)
                {
                    var reason = outcome.Refused is [var first, ..] ? first.Reason : outcome.Message ?? "refused by InfluxDB";
                    record.Reject(RejectReason.RejectedByStore, reason);
                    batch.DeadLetters.Add(record);
                }

                break;
            }
        }
    }

    private enum WriteOutcomeKind
    {
        Written,
        Retry,
        Refused,
    }

    private sealed record WriteOutcome(WriteOutcomeKind Kind, List<(PipelineRecord Record, string Reason)>? Refused = null, bool OthersKept = false, string? Message = null);

    private async Task<WriteOutcome> TryWriteAsync(List<PipelineRecord> records, Lane lane, string policy, CancellationToken cancellationToken)
    {
        var size = 0;
        var points = 0;
        foreach (var record in records)
        {
            size += Lines(record, lane).Length;
            points += Count(record, lane);
        }

        // Late points carry their rollup marks in the same request (RollupMarks): after the records' lines, so that
        // the line indexes InfluxDB names in a refusal still map to records. Taken per attempt: a retried write
        // marks what has become late meanwhile, with a fresh time.
        using var marks = lane == Lane.Values ? _marker.Build(records, _marker.NowNs()) : null;
        var markBytes = marks?.Written.Length ?? 0;
        var body = ArrayPool<byte>.Shared.Rent(Math.Max(size + markBytes, 1));
        try
        {
            var at = 0;
            foreach (var record in records)
            {
                var lines = Lines(record, lane);
                lines.Span.CopyTo(body.AsSpan(at));
                at += lines.Length;
            }

            marks?.Written.Span.CopyTo(body.AsSpan(at));
            var started = _time.GetTimestamp();
            await _influx.WriteAsync(body.AsMemory(0, size + markBytes), policy, cancellationToken).ConfigureAwait(false);
            var elapsed = _time.GetElapsedTime(started);
            _metrics.Written(lane == Lane.Values ? records.Count : 0, points, elapsed);
            if (lane == Lane.Values && elapsed > RollupMarks.WriteAllowance)
            {
                await ResendMarksAsync(records, policy, cancellationToken).ConfigureAwait(false);
            }

            return new WriteOutcome(WriteOutcomeKind.Written);
        }
        catch (InfluxWriteException e) when (e.Kind == InfluxErrorKind.BadRequest)
        {
            _metrics.WriteError("refused");
            return new WriteOutcome(WriteOutcomeKind.Refused, Owners(records, lane, e.RejectedLines), e.ServerKeptValidPoints && e.RejectedCount <= e.RejectedLines.Count, e.ServerMessage);
        }
        catch (InfluxWriteException e) when (e.Kind == InfluxErrorKind.TooLarge && records.Count > 1)
        {
            // Above influxd's body limit: written one record at a time instead.
            return new WriteOutcome(WriteOutcomeKind.Refused, [], Message: e.Message);
        }
        catch (InfluxWriteException e) when (e.Kind == InfluxErrorKind.TooLarge)
        {
            // One record alone is above the body limit: no retry can ever store it, and retrying would stall its
            // partition (and every workspace on it) for good. It becomes a dead letter; the partition goes on.
            _metrics.WriteError("too_large");
            return new WriteOutcome(
                WriteOutcomeKind.Refused,
                [(records[0], $"{points} point(s), {size} bytes of line protocol: larger than InfluxDB accepts in one write (HTTP 413)")],
                OthersKept: true,
                Message: e.Message);
        }
        catch (Exception e) when (e is InfluxException or HttpRequestException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            // Down, unreachable, missing database or retention policy, auth: nothing this batch can fix. Wait.
            _metrics.WriteError(e is InfluxException influx ? influx.Kind.ToString() : e.GetType().Name);
            LogWriteFailed(_logger, policy, e.Message, null);
            return new WriteOutcome(WriteOutcomeKind.Retry);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(body);
        }
    }

    /// <summary>
    /// After a values write slower than <see cref="RollupMarks.WriteAllowance"/>: its points may have landed after a
    /// rollup refresh passed them, and its marks may carry a time a refresh already consumed. The marks go again,
    /// taken now, until one such write is quick; only then does the batch move on to the commit (a crash before it
    /// replays the batch, marks included).
    /// </summary>
    private async Task ResendMarksAsync(List<PipelineRecord> records, string policy, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            using var marks = _marker.Build(records, _marker.NowNs());
            if (marks is null)
            {
                return;
            }

            var started = _time.GetTimestamp();
            try
            {
                await _influx.WriteAsync(marks.Written, policy, cancellationToken).ConfigureAwait(false);
                if (_time.GetElapsedTime(started) <= RollupMarks.WriteAllowance)
                {
                    return;
                }
            }
            catch (Exception e) when (e is InfluxException or HttpRequestException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                LogWriteFailed(_logger, policy, e.Message, null);
                await _backoff.WaitAsync(attempt, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Maps refused line indexes back to the records that wrote them.</summary>
    private static List<(PipelineRecord, string)> Owners(List<PipelineRecord> records, Lane lane, IReadOnlyList<RejectedLine> rejected)
    {
        var owners = new List<(PipelineRecord, string)>();
        var record = 0;
        var firstLine = 0;
        foreach (var line in rejected)
        {
            while (record < records.Count && line.Index >= firstLine + Count(records[record], lane))
            {
                firstLine += Count(records[record], lane);
                record++;
            }

            if (record < records.Count && (owners.Count == 0 || !ReferenceEquals(owners[^1].Item1, records[record])))
            {
                owners.Add((records[record], line.Reason));
            }
        }

        return owners;
    }

    private async Task PublishDeadLettersAsync(List<PipelineRecord> records, CancellationToken cancellationToken)
    {
        if (records.Count == 0)
        {
            return;
        }

        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await _deadLetters.PublishAsync(records, cancellationToken).ConfigureAwait(false);
                break;
            }
            catch (RecordLogUnavailableException e)
            {
                LogDeadLetterFailed(_logger, e.Message, null);
                await _backoff.WaitAsync(attempt, cancellationToken).ConfigureAwait(false);
            }
        }

        foreach (var record in records)
        {
            _metrics.DeadLetter(record.Reason);
            if (_logger.IsEnabled(LogLevel.Debug))
            {
                // Debug, one line per record: the topic is the durable account; this line is for following one device
                // while diagnosing (an attacker replaying at volume must not flood the default log).
                LogDeadLettered(_logger, record.Position.Partition, record.Position.Offset, record.Device?.ToString() ?? "(no envelope)", record.Reason.Code(), record.Detail ?? string.Empty, null);
            }
        }
    }

    private static readonly Action<ILogger, string, string, Exception?> LogWriteFailed =
        LoggerMessage.Define<string, string>(LogLevel.Warning, new EventId(10, "WriteFailed"), "InfluxDB write to retention policy {Policy} failed, retrying: {Error}");

    private static readonly Action<ILogger, int, long, string, string, string, Exception?> LogDeadLettered =
        LoggerMessage.Define<int, long, string, string, string>(LogLevel.Debug, new EventId(12, "DeadLettered"), "Record {Partition}:{Offset} of device {Device} dead-lettered as {Reason}: {Detail}");

    private static readonly Action<ILogger, string, Exception?> LogDeadLetterFailed =
        LoggerMessage.Define<string>(LogLevel.Warning, new EventId(11, "DeadLetterFailed"), "Appending dead letters failed, retrying: {Error}");
}
