using System.Globalization;
using Datacake.Streams.Api.Access;
using Datacake.Streams.Api.Queries;
using Datacake.Streams.Influx.Client;
using Datacake.Streams.Problems;

namespace Datacake.Streams.Api.Export;

/// <summary><c>GET /v1/workspaces/{id}/export?from=&amp;to=&amp;format=lp|csv|json</c>: the owner's data, streamed.</summary>
public static class ExportEndpoints
{
    public static IEndpointRouteBuilder MapExportApi(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/v1/workspaces/{id}/export", ExportAsync).WithTags("Export");
        return endpoints;
    }

    internal static async Task<IResult> ExportAsync(
        string id, string? from, string? to, string? format,
        HttpContext context, IWorkspaceExportAccess access, WorkspaceExporter exporter, TimeProvider time, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        ExportScope scope = await access.ResolveAsync(context, id, cancellationToken);
        switch (scope.Status)
        {
            case ExportScopeStatus.Unauthenticated:
                context.Response.Headers.WWWAuthenticate = "Bearer";
                return QueryProblem.Create(StatusCodes.Status401Unauthorized, ProblemTypes.Unauthenticated, "Authentication required", "Send a valid token as Authorization: Bearer <token>.");
            case ExportScopeStatus.RateLimited:
                context.Response.Headers.RetryAfter = ((int)Math.Ceiling((scope.RetryAfter ?? TimeSpan.FromSeconds(1)).TotalSeconds)).ToString(CultureInfo.InvariantCulture);
                return QueryProblem.Create(StatusCodes.Status429TooManyRequests, ProblemTypes.TooManyFailedAuthentications, "Too many failed authentications", "Wait for Retry-After seconds.");
            case ExportScopeStatus.Forbidden:
                return QueryProblem.Create(StatusCodes.Status403Forbidden, ProblemTypes.Forbidden, "Not allowed to export this workspace", scope.Detail);
            case ExportScopeStatus.NotFound:
                return QueryProblem.Create(StatusCodes.Status404NotFound, ProblemTypes.WorkspaceNotFound, "Workspace not found", "No workspace with this id is exportable with this token.");
        }

        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (!ExportFormats.TryParse(format, out ExportFormat parsedFormat))
        {
            errors["format"] = ["one of lp, csv, json"];
        }

        DateTimeOffset? start = Time(from, "from", errors);
        DateTimeOffset? end = Time(to, "to", errors);
        if (start is not null && end is not null && start >= end)
        {
            errors["to"] = ["to must be after from"];
        }

        if (errors.Count > 0)
        {
            return QueryProblem.Invalid(ProblemTypes.InvalidQuery, "Invalid export parameters", errors);
        }

        IReadOnlyList<ExportSource> sources;
        try
        {
            sources = await exporter.SourcesAsync(cancellationToken);
        }
        catch (InfluxException)
        {
            return QueryProblem.Unavailable("InfluxDB did not answer; try the export again shortly.");
        }

        var header = new ExportHeader(scope.WorkspaceId!, scope.WorkspaceName!, start, end, time.GetUtcNow(), exporter.Database, scope.Devices!);
        return new ExportStream(exporter, header, sources, parsedFormat, loggers.CreateLogger(typeof(ExportEndpoints).FullName!));
    }

    private static DateTimeOffset? Time(string? text, string name, Dictionary<string, string[]> errors)
    {
        if (text is null)
        {
            return null;
        }

        if (QueryTime.TryParse(text, out DateTimeOffset parsed))
        {
            return parsed;
        }

        errors[name] = ["RFC 3339 with an offset, or epoch milliseconds"];
        return null;
    }
}
