using System.Globalization;
using Datacake.Streams.Api.Access;
using Datacake.Streams.Ids;
using Datacake.Streams.Problems;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Datacake.Streams.Api.Queries;

/// <summary>Turns the identity seam's answer into the problems every read endpoint gives.</summary>
public static class ReadScopeResults
{
    /// <summary>The scope, or the 401/403/429 problem to answer instead.</summary>
    public static async Task<(DeviceReadScope? Scope, ProblemHttpResult? Problem)> ResolveAsync(IDeviceReadAccess access, HttpContext context, CancellationToken cancellationToken) =>
        Problems(await access.ResolveAsync(context, cancellationToken), context);

    /// <summary>As <see cref="ResolveAsync"/> for the endpoints of one device: only that device is looked up.</summary>
    public static async Task<(DeviceReadScope? Scope, ProblemHttpResult? Problem)> ResolveDeviceAsync(IDeviceReadAccess access, HttpContext context, string deviceId, CancellationToken cancellationToken) =>
        Problems(await access.ResolveDeviceAsync(context, deviceId, cancellationToken), context);

    private static (DeviceReadScope? Scope, ProblemHttpResult? Problem) Problems(DeviceReadScope scope, HttpContext context)
    {
        switch (scope.Status)
        {
            case ReadScopeStatus.Ok:
                return (scope, null);
            case ReadScopeStatus.Forbidden:
                return (null, QueryProblem.Create(StatusCodes.Status403Forbidden, ProblemTypes.Forbidden, "This token reads no device data"));
            case ReadScopeStatus.RateLimited:
                context.Response.Headers.RetryAfter = ((int)Math.Ceiling((scope.RetryAfter ?? TimeSpan.FromSeconds(1)).TotalSeconds)).ToString(CultureInfo.InvariantCulture);
                return (null, QueryProblem.Create(StatusCodes.Status429TooManyRequests, ProblemTypes.TooManyFailedAuthentications, "Too many failed authentications", "Wait for Retry-After seconds."));
            default:
                context.Response.Headers.WWWAuthenticate = "Bearer";
                return (null, QueryProblem.Create(StatusCodes.Status401Unauthorized, ProblemTypes.Unauthenticated, "Authentication required", "Send a valid token as Authorization: Bearer <token>."));
        }
    }

    /// <summary>The device when readable; any other text (malformed, unknown, deleted, another workspace's) is null alike.</summary>
    public static ReadableDevice? Find(DeviceReadScope scope, string? id) =>
        DeviceId.TryParse(id, out DeviceId deviceId) && scope.TryGet(deviceId, out ReadableDevice? device) ? device : null;
}
