using System.IO.Compression;
using System.IO.Pipelines;
using Datacake.Streams.Influx.Client;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;

namespace Datacake.Streams.Api.Export;

/// <summary>
/// The export's response: status and headers first, then the body as it is read from InfluxDB. gzip when the client
/// accepts it (line protocol compresses ~6x). A failure after the first byte cannot become an error status any more:
/// the connection is aborted, so a client never mistakes a cut export for a whole one (the text formats also end with
/// a summary that a complete export always has).
/// </summary>
internal sealed partial class ExportStream(WorkspaceExporter exporter, ExportHeader header, IReadOnlyList<ExportSource> sources, ExportFormat format, ILogger logger) : IResult
{
    public async Task ExecuteAsync(HttpContext context)
    {
        HttpResponse response = context.Response;
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        bool gzip = AcceptsGzip(context.Request);
        IExportWriter probe = ExportFormats.Create(format, new System.Buffers.ArrayBufferWriter<byte>(1));
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = probe.ContentType;
        response.Headers.ContentDisposition = $"attachment; filename=\"{header.WorkspaceId}-export.{probe.FileExtension}\"";
        response.Headers.CacheControl = "no-store";
        if (gzip)
        {
            response.Headers.ContentEncoding = "gzip";
            response.Headers.Vary = HeaderNames.AcceptEncoding;
        }

        GZipStream? compressor = gzip ? new GZipStream(response.Body, CompressionLevel.Fastest, leaveOpen: true) : null;
        PipeWriter output = compressor is null ? response.BodyWriter : PipeWriter.Create(compressor, new StreamPipeWriterOptions(leaveOpen: true));
        CancellationToken aborted = context.RequestAborted;
        try
        {
            ExportSummary summary = await exporter.RunAsync(header, sources, ExportFormats.Create(format, output), output, aborted);
            if (compressor is not null)
            {
                await output.CompleteAsync();
                await compressor.DisposeAsync();
                compressor = null;
            }

            LogDone(logger, header.WorkspaceId, summary.Points, header.Devices.Count);
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            LogClientGone(logger, header.WorkspaceId);
        }
        catch (Exception ex) when (ex is InfluxException or IOException or OperationCanceledException)
        {
            LogFailed(logger, ex, header.WorkspaceId);
            context.Abort();
        }
        finally
        {
            if (compressor is not null)
            {
                await CloseQuietlyAsync(compressor);
            }
        }
    }

    /// <summary>After a failure the body may be gone already: closing the compressor must not throw over the cause.</summary>
    private static async Task CloseQuietlyAsync(GZipStream compressor)
    {
        try
        {
            await compressor.DisposeAsync();
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
        {
            // The connection is aborted or the client left; nothing more can be sent.
        }
    }

    private static bool AcceptsGzip(HttpRequest request) =>
        request.Headers.AcceptEncoding.Any(v => v is not null && v.Contains("gzip", StringComparison.OrdinalIgnoreCase));

    [LoggerMessage(Level = LogLevel.Information, Message = "Exported workspace {WorkspaceId}: {Points} points of {Devices} devices")]
    private static partial void LogDone(ILogger logger, string workspaceId, long points, int devices);

    [LoggerMessage(Level = LogLevel.Information, Message = "Export of workspace {WorkspaceId} stopped: the client went away")]
    private static partial void LogClientGone(ILogger logger, string workspaceId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Export of workspace {WorkspaceId} failed after it started; connection aborted")]
    private static partial void LogFailed(ILogger logger, Exception exception, string workspaceId);
}
