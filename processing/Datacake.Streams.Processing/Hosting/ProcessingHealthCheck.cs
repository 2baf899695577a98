using Datacake.Streams.Processing.Pipeline;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Datacake.Streams.Processing.Hosting;

/// <summary>
/// Ready while the pipeline runs; reports the partitions it owns, their committed offsets and this process's record
/// counts (written, duplicates, dead-lettered), the records in flight and the restarts after failures, so an operator and an end-to-end test can see what became of records
/// without a metrics exporter.
/// </summary>
internal sealed class ProcessingHealthCheck(ProcessingService service, ProcessingMetrics metrics) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var progress = service.Progress;
        if (progress is null)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("processing has not started"));
        }

        if (!progress.IsRunning)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy($"processing stopped: {progress.Failure?.Message ?? "stopped"}; restarts {service.Restarts}"));
        }

        var committed = string.Join(", ", progress.Committed.OrderBy(p => p.Key).Select(p => $"{p.Key}:{p.Value}"));
        return Task.FromResult(HealthCheckResult.Healthy(
            $"partitions [{string.Join(",", progress.Assignment)}], committed {committed}; records written {metrics.Accepted}, duplicates {metrics.Duplicates}, dead-lettered {metrics.DeadLettered}, in flight {progress.InFlight}; restarts {service.Restarts}"));
    }
}
