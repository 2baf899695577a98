using System.Buffers.Text;
using Microsoft.AspNetCore.Http;

namespace Datacake.Streams.Ingest.Http;

/// <summary>202 with <c>{"entries":N}</c>, written straight to the response pipe: the hot path's only allocation is this object.</summary>
internal sealed class AcceptedMeasurements(int entries) : IResult
{
    public Task ExecuteAsync(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        var response = httpContext.Response;
        response.StatusCode = StatusCodes.Status202Accepted;
        response.ContentType = "application/json";
        Span<byte> digits = stackalloc byte[11];
        Utf8Formatter.TryFormat(entries, digits, out var written);
        response.ContentLength = 12 + written;
        var writer = response.BodyWriter;
        var span = writer.GetSpan(32);
        "{\"entries\":"u8.CopyTo(span);
        digits[..written].CopyTo(span[11..]);
        span[11 + written] = (byte)'}';
        writer.Advance(12 + written);
        return writer.FlushAsync().AsTask();
    }
}
