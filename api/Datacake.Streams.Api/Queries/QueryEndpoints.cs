using System.Text.Json;
using System.Text.Json.Serialization;
using Datacake.Streams.Api.Access;
using Datacake.Streams.Influx.Client;
using Datacake.Streams.Problems;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Datacake.Streams.Api.Queries;

/// <summary>Series and last values, scoped by <see cref="IDeviceReadAccess"/>.</summary>
public static class QueryEndpoints
{
    internal static readonly JsonSerializerOptions BodyJson = new(JsonSerializerDefaults.Web) { UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow };

    public static IEndpointRouteBuilder MapQueryApi(this IEndpointRouteBuilder endpoints)
    {
        RouteGroupBuilder group = endpoints.MapGroup("/v1").WithTags("Queries");
        group.MapGet("/devices/{id}/series", GetSeriesAsync);
        group.MapGet("/devices/{id}/last", GetLastAsync);
        group.MapPost("/query", PostQueryAsync);
        return endpoints;
    }

    internal static async Task<Results<SeriesJsonResult, ProblemHttpResult>> GetSeriesAsync(
        string id, string? fields, string? from, string? to, string? every, string? agg, string? fill,
        HttpContext context, IDeviceReadAccess access, SeriesReader reader, CancellationToken cancellationToken)
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

        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        SeriesRequest? request = new SeriesParameters(SplitFields(fields), from, to, every, agg, fill).Validate([device], reader.Limits, reader.Now, errors);
        if (request is null)
        {
            return InvalidQuery(errors);
        }

        return (await RunAsync(reader, request, cancellationToken)).Result switch
        {
            Ok<SeriesAnswer> { Value: { } answer } => new SeriesJsonResult(answer),
            ProblemHttpResult p => p,
            _ => throw new InvalidOperationException("unreachable"),
        };
    }

    internal static async Task<Results<Ok<LastAnswer>, ProblemHttpResult>> GetLastAsync(
        string id, string? fields, HttpContext context, IDeviceReadAccess access, SeriesReader reader, CancellationToken cancellationToken)
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

        IReadOnlyList<string>? names = SplitFields(fields);
        if (names is not null && !names.All(SeriesParameters.IsFieldName))
        {
            return InvalidQuery(new Dictionary<string, string[]> { ["fields"] = ["field names are 1-64 characters of A-Z a-z 0-9 _ . -"] });
        }

        try
        {
            return TypedResults.Ok((await reader.ReadLastAsync([device], names, null, null, cancellationToken))[0]);
        }
        catch (InfluxException ex)
        {
            return StoreProblem(ex);
        }
    }

    /// <summary>
    /// Many devices at once. With <c>agg: "last"</c> and no <c>every</c> it answers the last value of each field per
    /// device with its own time (within from/to when given), as <c>GET /last</c> does for one.
    /// </summary>
    internal static async Task<Results<SeriesJsonResult, Ok<IReadOnlyList<LastAnswer>>, ProblemHttpResult>> PostQueryAsync(
        HttpContext context, IDeviceReadAccess access, SeriesReader reader, CancellationToken cancellationToken)
    {
        (DeviceReadScope? scope, ProblemHttpResult? problem) = await ReadScopeResults.ResolveAsync(access, context, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        QueryBody? body;
        try
        {
            body = await JsonSerializer.DeserializeAsync<QueryBody>(context.Request.Body, BodyJson, cancellationToken);
        }
        catch (JsonException ex)
        {
            return InvalidQuery(new Dictionary<string, string[]> { ["body"] = [ex.Message] });
        }

        if (body?.Devices is not { Count: > 0 } ids)
        {
            return InvalidQuery(new Dictionary<string, string[]> { ["devices"] = ["at least one device id"] });
        }

        if (ids.Count > reader.Limits.MaxDevices)
        {
            return InvalidQuery(new Dictionary<string, string[]> { ["devices"] = [$"at most {reader.Limits.MaxDevices} devices per query"] });
        }

        var devices = new List<ReadableDevice>(ids.Count);
        foreach (string id in ids.Distinct(StringComparer.Ordinal))
        {
            // One unreadable device fails the whole query with the same 404 as a single unknown device.
            if (ReadScopeResults.Find(scope!, id) is not { } device)
            {
                return QueryProblem.NotFound();
            }

            devices.Add(device);
        }

        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        SeriesRequest? request = new SeriesParameters(body.Fields, body.From, body.To, body.Every, body.Agg, body.Fill, body.GroupByDevice ?? true)
            .Validate(devices, reader.Limits, reader.Now, errors);
        if (request is null)
        {
            return InvalidQuery(errors);
        }

        if (request is { Aggregate: Aggregate.Last, Every: null, GroupByDevice: true })
        {
            try
            {
                return TypedResults.Ok(await reader.ReadLastAsync(devices, request.Fields, body.From is null ? null : request.From, body.To is null ? null : request.To, cancellationToken));
            }
            catch (InfluxException ex)
            {
                return StoreProblem(ex);
            }
        }

        return (await RunAsync(reader, request, cancellationToken)).Result switch
        {
            Ok<SeriesAnswer> { Value: { } answer } => new SeriesJsonResult(answer),
            ProblemHttpResult p => p,
            _ => throw new InvalidOperationException("unreachable"),
        };
    }

    internal static async Task<Results<Ok<SeriesAnswer>, ProblemHttpResult>> RunAsync(SeriesReader reader, SeriesRequest request, CancellationToken cancellationToken)
    {
        try
        {
            return TypedResults.Ok(await reader.ReadAsync(request, cancellationToken));
        }
        catch (QueryTooLargeException ex)
        {
            return QueryProblem.Create(StatusCodes.Status400BadRequest, ProblemTypes.TooManyPoints, "Too many points", ex.Message);
        }
        catch (InfluxException ex)
        {
            return StoreProblem(ex);
        }
    }

    internal static ProblemHttpResult StoreProblem(InfluxException ex) =>
        ex.Kind == InfluxErrorKind.StatementFailed

            // A statement InfluxDB refused is the request's fault (a mean over a string field, say).
            ? QueryProblem.Create(StatusCodes.Status400BadRequest, ProblemTypes.InvalidQuery, "The query cannot be answered", ex.ServerMessage ?? ex.Message)
            : QueryProblem.Unavailable("InfluxDB did not answer the query; try again shortly.");

    internal static ProblemHttpResult InvalidQuery(IReadOnlyDictionary<string, string[]> errors) =>
        QueryProblem.Invalid(ProblemTypes.InvalidQuery, "Invalid query parameters", errors);

    private static List<string>? SplitFields(string? fields) =>
        string.IsNullOrWhiteSpace(fields) ? null : fields.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToList();
}

/// <summary>The body of <c>POST /v1/query</c>.</summary>
public sealed record QueryBody(
    IReadOnlyList<string>? Devices,
    IReadOnlyList<string>? Fields = null,
    string? From = null,
    string? To = null,
    string? Every = null,
    string? Agg = null,
    string? Fill = null,
    bool? GroupByDevice = null);
