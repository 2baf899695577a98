using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Datacake.Streams.Ingest.Webhooks;

/// <summary>
/// Writes the RFC 9457 problem responses of webhook ingest; their <c>type</c>s are <see cref="Problems.ProblemTypes"/>.
/// </summary>
public static class WebhookProblem
{
    internal static async Task WriteAsync(
        HttpContext context,
        int status,
        string type,
        string title,
        string detail,
        IReadOnlyList<KeyValuePair<string, string>>? extensions = null,
        TimeSpan? retryAfter = null)
    {
        var response = context.Response;
        response.StatusCode = status;
        response.ContentType = "application/problem+json";
        if (retryAfter is { } wait)
        {
            response.Headers.RetryAfter = Math.Max(1, (long)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }

        if (status == StatusCodes.Status401Unauthorized)
        {
            response.Headers.WWWAuthenticate = "Bearer";
        }

        using (var json = new Utf8JsonWriter(response.BodyWriter))
        {
            WriteBody(json, context, status, type, title, detail, extensions);
        }

        await response.BodyWriter.FlushAsync(context.RequestAborted).ConfigureAwait(false);
    }

    private static void WriteBody(
        Utf8JsonWriter json,
        HttpContext context,
        int status,
        string type,
        string title,
        string detail,
        IReadOnlyList<KeyValuePair<string, string>>? extensions)
    {
        json.WriteStartObject();
        json.WriteString("type", type);
        json.WriteString("title", title);
        json.WriteNumber("status", status);
        json.WriteString("detail", detail);
        json.WriteString("instance", context.Request.Path);
        foreach (var (name, value) in extensions ?? [])
        {
            json.WriteString(name, value);
        }

        json.WriteEndObject();
    }
}
