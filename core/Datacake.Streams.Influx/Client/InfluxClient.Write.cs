using System.Buffers;
using System.IO.Compression;
using System.Net.Http.Headers;

namespace Datacake.Streams.Influx.Client;

public sealed partial class InfluxClient
{
    // influxd answers 413 from Content-Length without reading the body and then closes the connection, which
    // the client saw as a broken pipe (a retried network error) while still sending 26 MB. With
    // "Expect: 100-continue" the 413 arrives before the body is sent. Below 1 MiB the extra round trip is not
    // worth it: such bodies are far from the limit.
    private const int ExpectContinueFromBytes = 1024 * 1024;

    private static readonly MediaTypeHeaderValue s_lineProtocolType = new("text/plain") { CharSet = "utf-8" };

    /// <summary>
    /// Writes newline-separated line protocol with ns timestamps to <see cref="InfluxOptions.Database"/>.
    /// Throws <see cref="InfluxWriteException"/>; for a 400 it names the refused points and says whether
    /// the server kept the others.
    /// </summary>
    /// <param name="lineProtocolBatch">Lines as written by <see cref="LineProtocol.LineProtocolWriter"/>.</param>
    /// <param name="retentionPolicy">Overrides <see cref="InfluxOptions.RetentionPolicy"/>; null uses it.</param>
    public async Task WriteAsync(ReadOnlyMemory<byte> lineProtocolBatch, string? retentionPolicy = null, CancellationToken cancellationToken = default)
    {
        if (lineProtocolBatch.IsEmpty)
        {
            return;
        }

        string url = WriteUrl(retentionPolicy ?? Options.RetentionPolicy);
        byte[]? rented = null;
        try
        {
            ReadOnlyMemory<byte> body = lineProtocolBatch;
            bool gzipped = false;
            if (Options.Gzip)
            {
                rented = ArrayPool<byte>.Shared.Rent(lineProtocolBatch.Length + 1024);
                if (TryGzip(lineProtocolBatch.Span, rented, out int length))
                {
                    body = rented.AsMemory(0, length);
                    gzipped = true;
                }
            }

            if (Options.MaxBodyBytes > 0 && body.Length > Options.MaxBodyBytes)
            {
                throw new InfluxWriteException(
                    InfluxErrorKind.TooLarge,
                    $"Write body of {body.Length} bytes exceeds Influx:MaxBodyBytes ({Options.MaxBodyBytes}); send smaller batches. Nothing was sent.",
                    rejectedCount: LineProtocol.LineProtocolLines.Split(lineProtocolBatch.Span).Count,
                    attempts: 0);
            }

            InfluxResponse response = await SendAsync(
                () =>
                {
                    var content = new ReadOnlyMemoryContent(body);
                    content.Headers.ContentType = s_lineProtocolType;
                    if (gzipped)
                    {
                        content.Headers.ContentEncoding.Add("gzip");
                    }

                    var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = content };
                    request.Headers.ExpectContinue = body.Length >= ExpectContinueFromBytes;
                    return request;
                },
                retry: true,
                cancellationToken).ConfigureAwait(false);

            if (response.Failure is not null)
            {
                throw new InfluxWriteException(
                    InfluxErrorKind.Unavailable,
                    $"InfluxDB at {Options.Url} did not answer after {response.Attempts} attempt(s): {response.Failure.Message}",
                    attempts: response.Attempts,
                    innerException: response.Failure);
            }

            if (response.Status is < 200 or > 299)
            {
                throw WriteErrorAnalysis.FromResponse(response.Status, ErrorText(response.Body), lineProtocolBatch.Span, response.Attempts);
            }
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    private string WriteUrl(string? retentionPolicy)
    {
        string url = $"{_baseUrl}write?db={Uri.EscapeDataString(Options.Database)}&precision=ns";
        return retentionPolicy is null ? url : $"{url}&rp={Uri.EscapeDataString(retentionPolicy)}";
    }

    /// <summary>Gzips into a fixed pooled buffer; false when the output would not fit (incompressible input).</summary>
    private static bool TryGzip(ReadOnlySpan<byte> source, byte[] destination, out int length)
    {
        // Fastest level: line protocol is repetitive enough that it still shrinks ~5-10x, at a fraction of the CPU.
        using var target = new MemoryStream(destination, writable: true);
        try
        {
            using (var gzip = new GZipStream(target, CompressionLevel.Fastest, leaveOpen: true))
            {
                gzip.Write(source);
            }

            length = (int)target.Position;
            return true;
        }
        catch (NotSupportedException)
        {
            length = 0;
            return false;
        }
    }
}
