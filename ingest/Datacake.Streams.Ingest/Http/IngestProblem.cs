using Microsoft.AspNetCore.Http;

namespace Datacake.Streams.Ingest.Http;

/// <summary>
/// Writes the RFC 9457 problems device ingest answers with; their <c>type</c>s are <see cref="Problems.ProblemTypes"/>.
/// </summary>
internal static class IngestProblem
{
    public static IResult Create(string type, int status, string title, string? detail = null, IDictionary<string, object?>? extensions = null) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: title, type: type, extensions: extensions);

    public static IResult WithRetryAfter(HttpContext context, TimeSpan wait, IResult problem) =>
        WithRetryAfter(context, Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)), problem);

    public static IResult WithRetryAfter(HttpContext context, int seconds, IResult problem)
    {
        context.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return problem;
    }
}
