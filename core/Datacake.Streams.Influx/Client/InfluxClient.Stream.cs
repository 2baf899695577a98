using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Datacake.Streams.Influx.Querying;

namespace Datacake.Streams.Influx.Client;

public sealed partial class InfluxClient
{
    /// <summary>
    /// Runs a query with <c>chunked=true</c> and hands out its series chunk by chunk, each of at most
    /// <paramref name="chunkSize"/> rows, as influxd sends them. Memory stays at one chunk however many rows the query
    /// matches: the way to read millions of points (an export). Each <see cref="InfluxSeriesChunk"/> is valid only
    /// until the enumeration moves on. Retries like <see cref="QueryAsync"/> until the answer starts; a failure
    /// after that throws (a half-read answer cannot be resumed).
    /// </summary>
    /// <param name="maxChunkBytes">A chunk is one JSON line; a longer line than this fails instead of growing the buffer.</param>
    public async IAsyncEnumerable<InfluxSeriesChunk> StreamQueryAsync(
        string influxQl,
        string? database = null,
        int chunkSize = 5_000,
        int maxChunkBytes = 256 * 1024 * 1024,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(influxQl);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(chunkSize);
        using HttpResponseMessage response = await OpenStreamAsync(influxQl, database ?? Options.Database, chunkSize, cancellationToken).ConfigureAwait(false);
        Stream body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        PipeReader reader = PipeReader.Create(body, new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 16 * 1024));
        try
        {
            while (true)
            {
                ReadResult read = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                ReadOnlySequence<byte> buffer = read.Buffer;
                SequencePosition? newline = buffer.PositionOf((byte)'\n');
                if (newline is null && !read.IsCompleted)
                {
                    if (buffer.Length > maxChunkBytes)
                    {
                        throw new InfluxQueryException(InfluxErrorKind.ServerError, $"A chunk of the streamed answer exceeds {maxChunkBytes} bytes; use a smaller chunk size.", statusCode: 200);
                    }

                    reader.AdvanceTo(buffer.Start, buffer.End);
                    continue;
                }

                ReadOnlySequence<byte> line = newline is { } end ? buffer.Slice(0, end) : buffer;
                int length = checked((int)line.Length);

                // Copied out so that the reader can move on while the chunk's JsonElements are in use.
                byte[] copy = ArrayPool<byte>.Shared.Rent(Math.Max(1, length));
                try
                {
                    line.CopyTo(copy);
                    reader.AdvanceTo(newline is { } consumed ? buffer.GetPosition(1, consumed) : buffer.End);
                    if (length > 0)
                    {
                        using JsonDocument document = ParseChunk(copy.AsMemory(0, length), influxQl);
                        foreach (InfluxSeriesChunk chunk in ReadChunk(document.RootElement, influxQl))
                        {
                            yield return chunk;
                        }
                    }
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(copy);
                }

                if (newline is null)
                {
                    yield break;
                }
            }
        }
        finally
        {
            await reader.CompleteAsync().ConfigureAwait(false);
        }
    }

    private async Task<HttpResponseMessage> OpenStreamAsync(string influxQl, string database, int chunkSize, CancellationToken cancellationToken)
    {
        var form = new List<KeyValuePair<string, string>>(5)
        {
            new("q", influxQl),
            new("db", database),
            new("epoch", "ns"),
            new("chunked", "true"),
            new("chunk_size", chunkSize.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        };
        int maxAttempts = Options.MaxRetries + 1;
        for (int attempt = 1; ; attempt++)
        {
            Exception? failure = null;
            HttpResponseMessage? response = null;
            using (var timeout = new CancellationTokenSource(Options.RequestTimeout, _timeProvider))
            using (var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token))
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, _baseUrl + "query") { Content = new FormUrlEncodedContent(form) };
                request.Headers.Authorization = _authorization;
                try
                {
                    // Headers only: the attempt's timeout covers the start of the answer, not the whole stream.
                    response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token).ConfigureAwait(false);
                }
                catch (HttpRequestException ex)
                {
                    failure = ex;
                }
                catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
                {
                    failure = new TimeoutException($"No answer within {Options.RequestTimeout.TotalSeconds:0.###} s.", ex);
                }
            }

            if (response is { IsSuccessStatusCode: true })
            {
                return response;
            }

            string error = string.Empty;
            int status = 0;
            if (response is not null)
            {
                status = (int)response.StatusCode;
                error = ErrorText(await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false));
                response.Dispose();
            }

            bool retryable = failure is not null || (status >= 500 && WriteErrorAnalysis.IsRetryable(WriteErrorAnalysis.Classify(status, error)));
            if (!retryable || attempt >= maxAttempts)
            {
                if (failure is not null)
                {
                    throw new InfluxQueryException(InfluxErrorKind.Unavailable, $"InfluxDB at {Options.Url} did not answer after {attempt} attempt(s): {failure.Message}", attempts: attempt, innerException: failure);
                }

                InfluxErrorKind kind = WriteErrorAnalysis.Classify(status, error);
                throw new InfluxQueryException(kind, $"InfluxDB refused the query with HTTP {status} ({kind}): {error}", statusCode: status, serverMessage: error, attempts: attempt);
            }

            TimeSpan delay = RetryBackoff.Delay(attempt, Options.RetryBaseDelay, Options.RetryMaxDelay, Random.Shared.NextDouble());
            LogRetry(_logger, attempt, maxAttempts - 1, delay.TotalMilliseconds, failure?.Message ?? $"HTTP {status}");
            await Task.Delay(delay, _timeProvider, cancellationToken).ConfigureAwait(false);
        }
    }

    private static JsonDocument ParseChunk(ReadOnlyMemory<byte> json, string query)
    {
        try
        {
            return JsonDocument.Parse(json);
        }
        catch (JsonException ex)
        {
            throw new InfluxQueryException(InfluxErrorKind.ServerError, $"InfluxDB streamed invalid JSON for {Shorten(query)}: {ex.Message}", statusCode: 200, innerException: ex);
        }
    }

    private static IEnumerable<InfluxSeriesChunk> ReadChunk(JsonElement root, string query)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new InfluxQueryException(InfluxErrorKind.ServerError, "InfluxDB streamed a chunk that is not a JSON object.", statusCode: 200);
        }

        if (root.TryGetProperty("error", out JsonElement topError) && topError.ValueKind == JsonValueKind.String)
        {
            string message = topError.GetString() ?? string.Empty;
            throw new InfluxQueryException(InfluxErrorKind.BadRequest, $"InfluxDB refused the query: {message}", statusCode: 200, serverMessage: message);
        }

        if (!root.TryGetProperty("results", out JsonElement results) || results.ValueKind != JsonValueKind.Array)
        {
            yield break;
        }

        foreach (JsonElement result in results.EnumerateArray())
        {
            int statementId = result.TryGetProperty("statement_id", out JsonElement id) && id.ValueKind == JsonValueKind.Number ? id.GetInt32() : 0;
            if (result.TryGetProperty("error", out JsonElement error) && error.ValueKind == JsonValueKind.String)
            {
                string message = error.GetString() ?? string.Empty;
                throw new InfluxQueryException(
                    InfluxErrorKind.StatementFailed,
                    $"InfluxQL statement {statementId} failed: {message} (query: {Shorten(query)})",
                    statementIndex: statementId,
                    statusCode: 200,
                    serverMessage: message);
            }

            if (!result.TryGetProperty("series", out JsonElement series) || series.ValueKind != JsonValueKind.Array)
            {
                continue;
            }

            foreach (JsonElement item in series.EnumerateArray())
            {
                yield return new InfluxSeriesChunk(statementId, item);
            }
        }
    }

    private static string Shorten(string query) => query.Length <= 200 ? query : string.Concat(query.AsSpan(0, 200), "...");
}
