using System.Buffers;
using System.IO.Compression;
using System.IO.Pipelines;
using Datacake.Streams.Access;
using Datacake.Streams.EdgeAuth;
using Datacake.Streams.Ids;
using Datacake.Streams.InfluxApi;
using Datacake.Streams.Ingest.Http;
using Datacake.Streams.Ingest.Publishing;
using Datacake.Streams.Ingest.Quotas;
using Datacake.Streams.LineProtocol;
using Datacake.Streams.Payloads.JsonValues;
using Datacake.Streams.Records;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Datacake.Streams.Ingest.InfluxWrite;

/// <summary>
/// <c>POST /write</c> (InfluxDB 1.x) and <c>POST /api/v2/write</c> (2.x): line protocol from Telegraf, the influx CLI
/// and InfluxDB client libraries, into the same pipeline as every adapter. Authenticate the device token, check the
/// database, read the body (gzip undone, size bounded), turn its lines into JSON values entries of the token's device
/// (<see cref="LineProtocolTranslation"/>), take them from the workspace's quota, append them as anonymous signed raw
/// records, and answer 204 once every record is durable (400 with InfluxDB's partial-write answer when some lines were
/// refused: the others are stored, as InfluxDB stores them).
/// </summary>
/// <remarks>
/// The token check, failed-authentication budget, per-token rate limit, workspace quota, body limit and appender are
/// HTTP ingest's (<see cref="DeviceIngestHandler"/>); only the answers are InfluxDB's shapes.
/// </remarks>
public sealed partial class InfluxWriteHandler(
    RegistryView registry,
    RawRecordAppender appender,
    IOptions<HttpIngestOptions> options,
    IOptions<InfluxApiOptions> influx,
    FailedAuthenticationBudget failures,
    TokenRateLimiter tokenLimiter,
    WorkspaceIngestQuota quota,
    TimeProvider timeProvider)
{
    private readonly HttpIngestOptions _options = options.Value;
    private readonly string _database = influx.Value.Database;

    public async Task<IResult> HandleAsync(HttpContext context, InfluxDialect dialect)
    {
        ArgumentNullException.ThrowIfNull(context);
        var now = timeProvider.GetUtcNow();
        var refused = Authenticate(context, dialect, now, out var fingerprint, out var device);
        if (refused is not null)
        {
            return refused;
        }

        var query = context.Request.Query;
        long nanosPerUnit;
        if (dialect == InfluxDialect.V1)
        {
            var database = Single(query["db"]);
            if (string.IsNullOrEmpty(database))
            {
                return InfluxWriteAnswer.Invalid(dialect, "database is required");
            }

            if (!string.Equals(database, _database, StringComparison.Ordinal))
            {
                return InfluxWriteAnswer.NotFound(dialect, $"database not found: \"{database}\"");
            }

            nanosPerUnit = LineProtocolPrecision.V1NanosPerUnit(Single(query["precision"]));
        }
        else
        {
            // org and bucket name nothing here (the token's device receives the points); v2 still requires a bucket.
            if (string.IsNullOrEmpty(Single(query["bucket"])))
            {
                return InfluxWriteAnswer.Invalid(dialect, "bucket is required");
            }

            if (!LineProtocolPrecision.TryV2NanosPerUnit(Single(query["precision"]), out nanosPerUnit))
            {
                return InfluxWriteAnswer.Invalid(dialect, "invalid precision; valid precision units are ns, us, ms, and s");
            }
        }

        if (!tokenLimiter.TryAcquire(fingerprint, out var limitedFor))
        {
            SetRetryAfter(context, TimeSpan.FromSeconds(limitedFor));
            return InfluxWriteAnswer.TooManyRequests(dialect, "this token sends faster than its limit; retry after Retry-After");
        }

        if (!DeviceIngestHandler.TryIdempotencyKey(context.Request.Headers["Idempotency-Key"], out var messageId))
        {
            return InfluxWriteAnswer.Invalid(dialect, $"Idempotency-Key: one value of 1-{DeviceIngestHandler.MaxIdempotencyKeyLength} printable ASCII characters");
        }

        var limit = _options.LineProtocolMaxBodyBytes;
        if (context.Request.ContentLength > limit)
        {
            return InfluxWriteAnswer.TooLarge(dialect, limit);
        }

        (byte[]? Array, int Length) body;
        try
        {
            body = await ReadBodyAsync(context, limit).ConfigureAwait(false);
        }
        catch (InvalidDataException)
        {
            return InfluxWriteAnswer.Invalid(dialect, "the body is not valid gzip");
        }

        if (body.Array is null)
        {
            return InfluxWriteAnswer.TooLarge(dialect, limit);
        }

        try
        {
            return await WriteAsync(context, dialect, device, fingerprint, messageId, body.Array.AsMemory(0, body.Length), nanosPerUnit, now).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(body.Array);
        }
    }

    private async Task<IResult> WriteAsync(HttpContext context, InfluxDialect dialect, DeviceId device, TokenHash fingerprint, string? messageId,
        ReadOnlyMemory<byte> body, long nanosPerUnit, DateTimeOffset now)
    {
        var receivedAtUnixNs = (now - DateTimeOffset.UnixEpoch).Ticks * 100;

        // A record holds at most what one HTTP ingest body may (Ingest:Http:MaxBodyBytes, MaxEntries): the log's record
        // size was chosen for that. Half of it per chunk leaves room for the entry that crosses the line.
        using var translation = new LineProtocolTranslation(device, nanosPerUnit, receivedAtUnixNs, _options.MaxBodyBytes / 2, _options.MaxEntries, body.Length);
        translation.Translate(body.Span);

        // Last check before the append, as HTTP ingest: a request refused for anything else spends no quota.
        if (translation.Accepted > 0 && !quota.TryAdmit(device, translation.Accepted, out var quotaWait))
        {
            SetRetryAfter(context, quotaWait);
            return InfluxWriteAnswer.TooManyRequests(dialect,
                "the device's workspace sends more points per second than its quota; nothing was stored, retry after Retry-After");
        }

        var chunks = translation.Chunks;
        var appends = chunks.Count <= 4 ? new ValueTask<AppendOutcome>[chunks.Count] : ArrayPool<ValueTask<AppendOutcome>>.Shared.Rent(chunks.Count);
        var started = 0;
        try
        {
            for (; started < chunks.Count; started++)
            {
                var payload = chunks[started];

                // One payload contract: the chunk is read by the same reader processing decodes it with.
                var check = MeasurementBody.Check(payload.Span, _options.MaxEntries);
                if (!check.IsValid || check.Entries != chunks.EntriesOf(started))
                {
                    throw new InvalidOperationException($"Line protocol became a JSON values body the reader refuses: {check}");
                }

                var record = new RawRecord
                {
                    DeviceId = device,
                    Source = SourceKind.Http,
                    ReceivedAtUnixNs = receivedAtUnixNs,
                    DeviceTimeUnixNs = check.DeviceTimeUnixNs,
                    MessageId = messageId is null ? null : started == 0 ? messageId : string.Concat(messageId, "#", started.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                    PayloadKind = PayloadKind.JsonValues,
                    Payload = payload,
                    Credential = fingerprint,
                    CredentialKind = CredentialKind.Token,
                };

                // Not the request's abort token: once appends started, let them finish so the outcome is known.
                appends[started] = appender.AppendAsync(record, CancellationToken.None);
            }

            var unavailable = false;
            for (var i = 0; i < started; i++)
            {
                unavailable |= await appends[i].ConfigureAwait(false) != AppendOutcome.Durable;
            }

            if (unavailable)
            {
                SetRetryAfter(context, TimeSpan.FromSeconds(_options.UnavailableRetryAfterSeconds));
                return InfluxWriteAnswer.Unavailable(dialect, "the record log is unavailable; retry (with the same Idempotency-Key)");
            }
        }
        finally
        {
            if (appends.Length > 4)
            {
                ArrayPool<ValueTask<AppendOutcome>>.Shared.Return(appends, clearArray: true);
            }
        }

        return translation.Messages.Count == 0 ? Results.NoContent() : PartialWrite(dialect, translation);
    }

    /// <summary>
    /// InfluxDB 1.6.7's answer when lines were refused: 400, <c>partial write: MESSAGES dropped=N</c> with the messages
    /// joined by newlines and N the lines that parsed but were not stored; when no line parsed at all, the parse
    /// messages alone (measured: <c>unable to parse 'a': missing fields\nunable to parse 'b': missing fields</c>).
    /// </summary>
    private static InfluxWriteAnswer PartialWrite(InfluxDialect dialect, LineProtocolTranslation translation)
    {
        var listed = string.Join('\n', translation.Messages);
        var unlisted = translation.Unparsed + translation.Dropped - translation.Messages.Count;
        if (unlisted > 0)
        {
            listed += $"\n({unlisted} more refused lines not listed)";
        }

        var message = translation.Accepted == 0 && translation.Dropped == 0
            ? listed
            : $"partial write: {listed} dropped={translation.Dropped}";
        return InfluxWriteAnswer.Invalid(dialect, message);
    }

    /// <summary>The body, gzip undone when <c>Content-Encoding: gzip</c>; the limit holds for the bytes after decompression.</summary>
    private static async ValueTask<(byte[]? Array, int Length)> ReadBodyAsync(HttpContext context, int limit)
    {
        var encoding = context.Request.Headers.ContentEncoding;
        if (encoding.Count == 1 && string.Equals(encoding[0], "gzip", StringComparison.OrdinalIgnoreCase))
        {
            var gzip = new GZipStream(context.Request.Body, CompressionMode.Decompress, leaveOpen: true);
            await using (gzip.ConfigureAwait(false))
            {
                var reader = PipeReader.Create(gzip, new StreamPipeReaderOptions(leaveOpen: true));
                try
                {
                    return await RequestBody.ReadAsync(reader, limit, context.RequestAborted).ConfigureAwait(false);
                }
                finally
                {
                    await reader.CompleteAsync().ConfigureAwait(false);
                }
            }
        }

        return await RequestBody.ReadAsync(context.Request.BodyReader, limit, context.RequestAborted).ConfigureAwait(false);
    }
}
