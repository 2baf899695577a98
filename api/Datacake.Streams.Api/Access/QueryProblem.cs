using Microsoft.AspNetCore.Http.HttpResults;

namespace Datacake.Streams.Api.Access;

/// <summary>
/// RFC 9457 problems of the query, Grafana and retention endpoints. The <c>type</c> URIs are stable: clients
/// switch on them, never on <c>title</c> or <c>detail</c>.
/// </summary>
public static class QueryProblem
{
    public const string TypePrefix = "urn:datacake-streams:problem:";

    public const string Unauthenticated = TypePrefix + "unauthenticated";
    public const string Forbidden = TypePrefix + "forbidden";
    public const string RateLimited = TypePrefix + "rate-limited";
    public const string DeviceNotFound = TypePrefix + "device-not-found";
    public const string InvalidQuery = TypePrefix + "invalid-query";
    public const string TooManyPoints = TypePrefix + "too-many-points";
    public const string InvalidRetention = TypePrefix + "invalid-retention";
    public const string StoreUnavailable = TypePrefix + "store-unavailable";

    public static ProblemHttpResult Create(int status, string type, string title, string? detail = null, IDictionary<string, object?>? extensions = null) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: title, type: type, extensions: extensions);

    /// <summary>400 naming each bad parameter.</summary>
    public static ProblemHttpResult Invalid(string type, string title, IReadOnlyDictionary<string, string[]> errors) =>
        Create(StatusCodes.Status400BadRequest, type, title, string.Join("; ", errors.Select(e => $"{e.Key}: {string.Join(", ", e.Value)}")), new Dictionary<string, object?> { ["errors"] = errors });

    /// <summary>The one answer for a device that is unknown, deleted or not the caller's: nothing tells them apart.</summary>
    public static ProblemHttpResult NotFound() =>
        Create(StatusCodes.Status404NotFound, DeviceNotFound, "Device not found", "No device with this id is readable with this token.");

    public static ProblemHttpResult Unavailable(string detail) =>
        Create(StatusCodes.Status503ServiceUnavailable, StoreUnavailable, "The time-series store is unavailable", detail);
}
