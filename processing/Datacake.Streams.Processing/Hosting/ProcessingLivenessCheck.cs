using Datacake.Streams.Processing.Pipeline;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Datacake.Streams.Processing.Hosting;

/// <summary>
/// Liveness (<c>/healthz</c>): unhealthy once processing has been down longer than
/// <see cref="ProcessingOptions.DownLimit"/>. The supervisor's restarts mend a one-off fault within seconds; a node
/// that stays down past the limit needs replacing, which only a failing liveness probe asks an orchestrator to do.
/// Readiness (<see cref="ProcessingHealthCheck"/>) turns at the first failure; liveness waits, or a brief InfluxDB
/// outage would restart every node at once.
/// </summary>
internal sealed class ProcessingLivenessCheck(ProcessingService service, IOptions<ProcessingOptions> options) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var down = service.DownFor;
        var limit = options.Value.DownLimit;
        return Task.FromResult(down > limit
            ? HealthCheckResult.Unhealthy($"processing down for {down.TotalSeconds:0} s (limit {limit.TotalSeconds:0} s), restarts {service.Restarts}")
            : HealthCheckResult.Healthy());
    }
}
