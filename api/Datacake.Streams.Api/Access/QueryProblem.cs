using Datacake.Streams.Problems;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Datacake.Streams.Api.Access;

/// <summary>
/// RFC 9457 problems of the query, Grafana and retention endpoints; their <c>type</c>s are <see cref="ProblemTypes"/>.
/// </summary>
public static class QueryProblem
{
    public static ProblemHttpResult Create(int status, string type, string title, string? detail = null, IDictionary<string, object?>? extensions = null) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: title, type: type, extensions: extensions);

    /// <summary>400 naming each bad parameter.</summary>
    public static ProblemHttpResult Invalid(string type, string title, IReadOnlyDictionary<string, string[]> errors) =>
        Create(StatusCodes.Status400BadRequest, type, title, string.Join("; ", errors.Select(e => $"{e.Key}: {string.Join(", ", e.Value)}")), new Dictionary<string, object?> { ["errors"] = errors });

    /// <summary>The one answer for a device that is unknown, deleted or not the caller's: nothing tells them apart.</summary>
    public static ProblemHttpResult NotFound() =>
        Create(StatusCodes.Status404NotFound, ProblemTypes.DeviceNotFound, "Device not found", "No device with this id is readable with this token.");

    public static ProblemHttpResult Unavailable(string detail) =>
        Create(StatusCodes.Status503ServiceUnavailable, ProblemTypes.StoreUnavailable, "The time-series store is unavailable", detail);
}
