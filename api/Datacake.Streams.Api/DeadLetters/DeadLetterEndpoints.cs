using System.Globalization;
using Datacake.Streams.Api.Access;
using Datacake.Streams.Api.Queries;
using Datacake.Streams.Problems;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Datacake.Streams.Api.DeadLetters;

/// <summary>
/// <c>GET /v1/devices/{id}/dead-letters</c>: why a device's records were not stored, newest first, for whoever may
/// read the device (<see cref="IDeviceReadAccess"/>); anyone else gets the 404 of an unknown device.
/// </summary>
public static class DeadLetterEndpoints
{
    public const int DefaultLimit = 50;

    /// <summary>The most letters one answer holds (a device keeps at most DeadLetters:PerDevice, 100 by default).</summary>
    public const int MaxLimit = 500;

    public static IEndpointRouteBuilder MapDeadLetterApi(this IEndpointRouteBuilder endpoints)
    {
        RouteGroupBuilder group = endpoints.MapGroup("/v1").WithTags("Dead letters");
        group.MapGet("/devices/{id}/dead-letters", GetAsync);
        return endpoints;
    }

    internal static async Task<Results<Ok<DeadLetterAnswer>, ProblemHttpResult>> GetAsync(
        string id, string? limit, HttpContext context, IDeviceReadAccess access, DeadLetterIndex index, CancellationToken cancellationToken)
    {
        (DeviceReadScope? scope, ProblemHttpResult? problem) = await ReadScopeResults.ResolveDeviceAsync(access, context, id, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        if (ReadScopeResults.Find(scope!, id) is not { } device)
        {
            return QueryProblem.NotFound();
        }

        var count = DefaultLimit;
        if (limit is not null && (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out count) || count is < 1 or > MaxLimit))
        {
            return QueryProblem.Invalid(ProblemTypes.InvalidQuery, "Invalid query parameters",
                new Dictionary<string, string[]> { ["limit"] = [$"a whole number from 1 to {MaxLimit}"] });
        }

        return TypedResults.Ok(new DeadLetterAnswer(device.Id.ToString(), index.Newest(device.Id, count)));
    }
}

/// <summary>The answer of <c>GET /v1/devices/{id}/dead-letters</c>: the device's kept letters, newest first.</summary>
public sealed record DeadLetterAnswer(string DeviceId, IReadOnlyList<DeadLetterEntry> DeadLetters);
