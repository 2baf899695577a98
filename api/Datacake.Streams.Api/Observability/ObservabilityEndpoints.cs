using Datacake.Streams.Api.Access;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
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
        services.AddSingleton<IValidateOptions<MetricsAccessOptions>, MetricsAccessOptionsValidator>();
        services.AddOptions<MetricsAccessOptions>().BindConfiguration(MetricsAccessOptions.Section).ValidateOnStart();
        services.AddSingleton<MetricsAccess>();

        // A host that registers no operator check still answers /metrics, to its networks only: closed by default.
        services.TryAddSingleton<IOperatorCheck, NoOperatorCheck>();
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
    /// nothing here names a tenant. Still, rates per node tell an outsider how busy a deployment is, so a scraper
    /// presents the operator token (Prometheus <c>authorization.credentials_file</c>) or scrapes from a network listed in
    /// <c>Observability:MetricsNetworks</c>. Loopback is not trusted as such: a reverse proxy on the same host would
    /// make every outside caller look local.
    /// </summary>
    internal static async Task ExportMetricsAsync(HttpContext context, IOperatorCheck operatorCheck, MetricsAccess access)
    {
        if (!access.IsTrustedSource(context) && operatorCheck.Check(context) is { IsOperator: false } verdict)
        {
            // 401 for anything short of the operator token (as before), 429 once this address spent its failure budget.
            var refusal = verdict.Status == OperatorStatus.TooManyFailures ? verdict.Refusal(context, string.Empty)! : ApiProblem.Unauthenticated().ToResult(context);
            await refusal.ExecuteAsync(context);
            return;
        }

        context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
        await Metrics.DefaultRegistry.CollectAndExportAsTextAsync(context.Response.Body, context.RequestAborted);
    }
}
