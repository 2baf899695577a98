using System.Net;
using Datacake.Streams.Api.Access;
using Prometheus;
using Scalar.AspNetCore;

namespace Datacake.Streams.Api.Observability;

/// <summary>
/// What an operator points tools at: <c>/metrics</c> (Prometheus text format), <c>/openapi/v1.json</c> and the
/// interactive reference at <c>/docs</c>.
/// </summary>
public static class ObservabilityEndpoints
{
    public const string MetricsPath = "/metrics";

    public static IServiceCollection AddObservability(this IServiceCollection services)
    {
        services.AddOpenApi();
        return services;
    }

    public static IEndpointRouteBuilder MapObservabilityApi(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapOpenApi();
        endpoints.MapScalarApiReference("/docs", options => options.WithTitle("Datacake.Streams API"));
        endpoints.MapGet(MetricsPath, ExportMetricsAsync).ExcludeFromDescription();
        return endpoints;
    }

    /// <summary>
    /// The meters of every area (processing lag and throughput, bridge counters, Kestrel, ASP.NET Core, the runtime)
    /// in Prometheus text format. Counts and rates only: no label carries a device id, token or workspace, so
    /// nothing here names a tenant. A scraper on the same machine needs no credential; from elsewhere it presents
    /// the operator token (Prometheus <c>authorization.credentials_file</c>), because rates per node still tell an
    /// outsider how busy a deployment is.
    /// </summary>
    internal static async Task ExportMetricsAsync(HttpContext context, IOperatorCheck operatorCheck)
    {
        if (!IsLoopback(context) && operatorCheck.Check(context) is { IsOperator: false } verdict)
        {
            // 401 for anything short of the operator token (as before), 429 once this address spent its failure budget.
            var refusal = verdict.Status == OperatorStatus.TooManyFailures ? verdict.Refusal(context, string.Empty)! : ApiProblem.Unauthenticated().ToResult(context);
            await refusal.ExecuteAsync(context);
            return;
        }

        context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
        await Metrics.DefaultRegistry.CollectAndExportAsTextAsync(context.Response.Body, context.RequestAborted);
    }

    private static bool IsLoopback(HttpContext context) =>
        context.Connection.RemoteIpAddress is { } remote && IPAddress.IsLoopback(remote);
}
