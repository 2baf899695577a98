using Datacake.Streams.Problems;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Datacake.Streams.Api.Access;

/// <summary>
/// A refusal an endpoint answers with an RFC 9457 problem. Thrown by the access checks deep in a handler and turned
/// into the response by <see cref="AccessEndpointFilter"/>; details never name another workspace's ids or a secret.
/// </summary>
public sealed class ApiProblem : Exception
{
    public ApiProblem(int status, string type, string title, string? detail = null, IReadOnlyDictionary<string, object?>? extensions = null)
        : base(title)
    {
        Status = status;
        Type = type;
        Title = title;
        Detail = detail;
        Extensions = extensions;
    }

    public int Status { get; }

    public string Type { get; }

    public string Title { get; }

    public string? Detail { get; }

    public IReadOnlyDictionary<string, object?>? Extensions { get; }

    public TimeSpan? RetryAfter { get; init; }

    /// <summary>The same answer for "does not exist" and "not yours", so that ids of other workspaces cannot be probed.</summary>
    public static ApiProblem NotFound(string what) => new(StatusCodes.Status404NotFound, ProblemTypes.NotFound, $"No such {what}");

    public static ApiProblem Forbidden(string detail) => new(StatusCodes.Status403Forbidden, ProblemTypes.Forbidden, "Not allowed", detail);

    public static ApiProblem OperatorForbidden() =>
        new(StatusCodes.Status403Forbidden, ProblemTypes.OperatorNoWorkspaceData, "The operator token reads and changes no workspace data");

    public static ApiProblem Invalid(string detail) => new(StatusCodes.Status400BadRequest, ProblemTypes.InvalidRequest, "Invalid request", detail);

    public static ApiProblem Conflict(string type, string title, string detail, IReadOnlyDictionary<string, object?>? extensions = null) =>
        new(StatusCodes.Status409Conflict, type, title, detail, extensions);

    public static ApiProblem Unauthenticated() =>
        new(StatusCodes.Status401Unauthorized, ProblemTypes.Unauthenticated, "A valid bearer token is required", "Send Authorization: Bearer <token>.");

    public static ApiProblem RateLimited(TimeSpan retryAfter) =>
        new(StatusCodes.Status429TooManyRequests, ProblemTypes.TooManyFailedAuthentications, "Too many failed authentications from this client")
        {
            RetryAfter = retryAfter,
        };

    public static ApiProblem TooLarge(int limit) =>
        new(StatusCodes.Status413PayloadTooLarge, ProblemTypes.BodyTooLarge, "Request body too large", $"Bodies are limited to {limit} bytes.");

    public ProblemHttpResult ToResult(HttpContext context)
    {
        if (RetryAfter is { } retryAfter)
        {
            context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return TypedResults.Problem(Detail, statusCode: Status, title: Title, type: Type, extensions: Extensions);
    }
}
