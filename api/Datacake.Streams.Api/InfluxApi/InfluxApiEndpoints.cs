using Datacake.Streams.InfluxApi;
using System.Globalization;
using System.Text;
using Datacake.Streams.Api.Access;
using Datacake.Streams.Api.InfluxApi.Language;
using Microsoft.Extensions.Options;

namespace Datacake.Streams.Api.InfluxApi;

/// <summary>
/// The InfluxDB v1 read API (docs/QUERIES.md, "InfluxDB-compatible API"): <c>/ping</c> and <c>/query</c> as Grafana's
/// InfluxDB datasource and the <c>influx</c> CLI call them. Credentials as InfluxDB takes them (<see cref="InfluxV1Credentials"/>);
/// what a token may read is decided by <see cref="IDeviceReadAccess"/>, as for <c>/v1/devices/{id}/series</c>.
/// </summary>
public static class InfluxApiEndpoints
{
    /// <summary>The InfluxDB version clients are told: the 1.x query language and JSON this API speaks.</summary>
    public const string Version = "1.8.10";

    public static IEndpointRouteBuilder MapInfluxApi(this IEndpointRouteBuilder endpoints)
    {
        RouteGroupBuilder group = endpoints.MapGroup(string.Empty).WithTags("InfluxDB v1").WithMetadata(InfluxV1Credentials.Instance);
        group.MapMethods("/ping", ["GET", "HEAD"], Ping);
        group.MapGet("/query", QueryAsync);
        group.MapPost("/query", QueryAsync);
        return endpoints;
    }

    /// <summary>As influxd: 204 with its version headers, no credentials needed; <c>verbose=true</c> answers 200 with the version.</summary>
    internal static IResult Ping(HttpContext context, string? verbose)
    {
        context.Response.Headers["X-Influxdb-Version"] = Version;
        context.Response.Headers["X-Influxdb-Build"] = "OSS";
        return verbose is "true" or "1"
            ? Results.Json(new Dictionary<string, string> { ["version"] = Version })
            : Results.NoContent();
    }

    internal static async Task<IResult> QueryAsync(
        HttpContext context, IDeviceReadAccess access, InfluxQueryRunner runner, IOptions<InfluxApiOptions> options, CancellationToken cancellationToken)
    {
        HttpRequest request = context.Request;
        context.Response.Headers["X-Influxdb-Version"] = Version;
        context.Response.Headers["X-Influxdb-Build"] = "OSS";
        int max = options.Value.MaxQueryBytes;
        if (request.ContentLength > max + 4096)
        {
            return InfluxResponseWriter.Error(StatusCodes.Status413PayloadTooLarge, "request body too large");
        }

        IFormCollection? form = null;
        if (HttpMethods.IsPost(request.Method) && request.HasFormContentType)
        {
            try
            {
                form = await request.ReadFormAsync(new Microsoft.AspNetCore.Http.Features.FormOptions { ValueLengthLimit = max, KeyLengthLimit = 64, ValueCountLimit = 32 }, cancellationToken);
            }
            catch (InvalidDataException)
            {
                return InfluxResponseWriter.Error(StatusCodes.Status413PayloadTooLarge, "request body too large");
            }
        }

        string? Parameter(string name) => form is not null && form.TryGetValue(name, out var posted) && posted.Count > 0 ? posted[0] : request.Query[name].FirstOrDefault();

        // Credentials first, as influxd: an unauthenticated caller learns nothing about the query, not even a parse error.
        DeviceReadScope scope = await access.ResolveAsync(context, cancellationToken);
        switch (scope.Status)
        {
            case ReadScopeStatus.Unauthenticated:
                context.Response.Headers.WWWAuthenticate = "Basic realm=\"InfluxDB\"";
                return InfluxResponseWriter.Error(StatusCodes.Status401Unauthorized, "authorization failed");
            case ReadScopeStatus.RateLimited:
                context.Response.Headers.RetryAfter = ((int)Math.Ceiling((scope.RetryAfter ?? TimeSpan.FromSeconds(1)).TotalSeconds)).ToString(CultureInfo.InvariantCulture);
                return InfluxResponseWriter.Error(StatusCodes.Status429TooManyRequests, "too many failed authentications: wait for Retry-After seconds");
            case ReadScopeStatus.Forbidden:
                return InfluxResponseWriter.Error(StatusCodes.Status403Forbidden, "this token reads no device data");
        }

        string? query = Parameter("q");
        if (string.IsNullOrWhiteSpace(query))
        {
            return InfluxResponseWriter.Error(StatusCodes.Status400BadRequest, "missing required parameter \"q\"");
        }

        if (Encoding.UTF8.GetByteCount(query) > max)
        {
            return InfluxResponseWriter.Error(StatusCodes.Status413PayloadTooLarge, $"query longer than {max} bytes");
        }

        IReadOnlyList<InfluxStatement> statements;
        try
        {
            statements = InfluxQlParser.Parse(query);
        }
        catch (InfluxQlParseException ex)
        {
            return InfluxResponseWriter.Error(StatusCodes.Status400BadRequest, "error parsing query: " + ex.Message);
        }

        var defaults = new InfluxRequestContext(Parameter("db"), Parameter("rp"), scope.Devices);
        var answers = new List<InfluxStatementAnswer>(statements.Count);
        for (int i = 0; i < statements.Count; i++)
        {
            answers.Add(await runner.RunAsync(i, statements[i], defaults, cancellationToken));
        }

        return new InfluxJsonResult(answers, Parameter("epoch"), Parameter("pretty") == "true", Parameter("chunked") == "true");
    }

    private sealed class InfluxJsonResult(IReadOnlyList<InfluxStatementAnswer> answers, string? epoch, bool pretty, bool chunked) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext) =>
            InfluxResponseWriter.WriteAsync(httpContext.Response, answers, epoch, pretty, chunked, httpContext.RequestAborted);
    }
}
