using Microsoft.AspNetCore.Http;

namespace Datacake.Streams.Ingest.Http;

/// <summary>
/// The RFC 9457 problems device ingest answers with. The <c>type</c> URNs are part of the v1 contract: clients branch on
/// them, not on the title or detail text.
/// </summary>
internal static class IngestProblem
{
    public const string TokenMissing = "urn:dcs:problem:token-missing";
    public const string TokenMalformed = "urn:dcs:problem:token-malformed";
    public const string TokenRefused = "urn:dcs:problem:token-refused";
    public const string Forbidden = "urn:dcs:problem:forbidden";
    public const string DeviceNotFound = "urn:dcs:problem:device-not-found";
    public const string InvalidBody = "urn:dcs:problem:invalid-body";
    public const string InvalidIdempotencyKey = "urn:dcs:problem:invalid-idempotency-key";
    public const string BodyTooLarge = "urn:dcs:problem:body-too-large";
    public const string UnsupportedMediaType = "urn:dcs:problem:unsupported-media-type";
    public const string TooManyFailedAuthentications = "urn:dcs:problem:too-many-failed-authentications";
    public const string RateLimited = "urn:dcs:problem:rate-limited";
    public const string LogUnavailable = "urn:dcs:problem:log-unavailable";

    public static IResult Create(string type, int status, string title, string? detail = null, IDictionary<string, object?>? extensions = null) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: title, type: type, extensions: extensions);

    public static IResult WithRetryAfter(HttpContext context, int seconds, IResult problem)
    {
        context.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return problem;
    }
}
