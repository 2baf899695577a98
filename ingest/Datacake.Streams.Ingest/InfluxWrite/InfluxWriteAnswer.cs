using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Datacake.Streams.Ingest.InfluxWrite;

/// <summary>Which InfluxDB API a request came to: its error bodies differ.</summary>
public enum InfluxDialect
{
    /// <summary><c>/write</c>: <c>{"error":"..."}</c> (InfluxDB 1.x).</summary>
    V1,

    /// <summary><c>/api/v2/write</c>: <c>{"code":"...","message":"..."}</c> (InfluxDB 2.x).</summary>
    V2,
}

/// <summary>
/// An error of the InfluxDB write endpoints, in the dialect's shape: 1.x <c>{"error":"..."}</c> (measured on 1.6.7),
/// 2.x <c>{"code":"...","message":"..."}</c> with the OpenAPI document's codes (invalid, unauthorized, forbidden,
/// not found, request too large, too many requests, unavailable). Clients read these, not RFC 9457 problems.
/// </summary>
internal sealed class InfluxWriteAnswer(InfluxDialect dialect, int status, string code, string message) : IResult
{
    // InfluxDB writes '"' as \" and keeps quotes and '<' raw; the default encoder would write \u0022.
    private static readonly JsonWriterOptions s_json = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public int Status => status;

    public string Message => message;

    public static InfluxWriteAnswer Unauthorized(InfluxDialect dialect) =>
        new(dialect, StatusCodes.Status401Unauthorized, "unauthorized", dialect == InfluxDialect.V1 ? "authorization failed" : "unauthorized access");

    public static InfluxWriteAnswer Forbidden(InfluxDialect dialect, string message) => new(dialect, StatusCodes.Status403Forbidden, "forbidden", message);

    public static InfluxWriteAnswer Invalid(InfluxDialect dialect, string message) => new(dialect, StatusCodes.Status400BadRequest, "invalid", message);

    public static InfluxWriteAnswer NotFound(InfluxDialect dialect, string message) => new(dialect, StatusCodes.Status404NotFound, "not found", message);

    public static InfluxWriteAnswer TooLarge(InfluxDialect dialect, int limit) =>
        new(dialect, StatusCodes.Status413PayloadTooLarge, "request too large",
            dialect == InfluxDialect.V1 ? "Request Entity Too Large" : $"request body exceeds the limit of {limit} bytes");

    public static InfluxWriteAnswer TooManyRequests(InfluxDialect dialect, string message) =>
        new(dialect, StatusCodes.Status429TooManyRequests, "too many requests", message);

    public static InfluxWriteAnswer Unavailable(InfluxDialect dialect, string message) =>
        new(dialect, StatusCodes.Status503ServiceUnavailable, "unavailable", message);

    public Task ExecuteAsync(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        var response = httpContext.Response;
        response.StatusCode = status;
        response.ContentType = "application/json";
        if (status == StatusCodes.Status401Unauthorized && dialect == InfluxDialect.V1)
        {
            response.Headers.WWWAuthenticate = "Basic realm=\"InfluxDB\"";
        }

        using var writer = new Utf8JsonWriter(response.BodyWriter, s_json);
        writer.WriteStartObject();
        if (dialect == InfluxDialect.V1)
        {
            writer.WriteString("error"u8, message);
        }
        else
        {
            writer.WriteString("code"u8, code);
            writer.WriteString("message"u8, message);
        }

        writer.WriteEndObject();
        writer.Flush();
        return response.BodyWriter.FlushAsync().AsTask();
    }
}
