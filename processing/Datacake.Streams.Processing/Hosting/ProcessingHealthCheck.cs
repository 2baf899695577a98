using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Datacake.Streams.Processing.Hosting;

/// <summary>Ready while the pipeline runs; reports the partitions it owns, their committed offsets and the records in flight.</summary>
internal sealed class ProcessingHealthCheck(ProcessingService service) : IHealthCheck
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
            return Task.FromResult(HealthCheckResult.Unhealthy($"processing stopped: {progress.Failure?.Message ?? "stopped"}"));
        }

        var committed = string.Join(", ", progress.Committed.OrderBy(p => p.Key).Select(p => $"{p.Key}:{p.Value}"));
        return Task.FromResult(HealthCheckResult.Healthy($"partitions [{string.Join(",", progress.Assignment)}], committed {committed}, in flight {progress.InFlight}"));
    }
}
