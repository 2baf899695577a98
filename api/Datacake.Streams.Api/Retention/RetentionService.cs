using Datacake.Streams.Influx.Client;
using Microsoft.Extensions.Options;

namespace Datacake.Streams.Api.Retention;

/// <summary>
/// Provisions the tiers when the node starts (retrying while InfluxDB is away, without blocking start-up), then
/// runs the backfill queue for as long as the node lives.
/// </summary>
public sealed partial class RetentionService(
    RetentionProvisioner provisioner,
    RetentionBackfills backfills,
    IOptions<RetentionTiersOptions> options,
    TimeProvider timeProvider,
    ILogger<RetentionService> logger) : BackgroundService
{
    private readonly TaskCompletionSource _provisioned = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes once start-up provisioning succeeded (at once when it is switched off).</summary>
    public Task Provisioned => _provisioned.Task;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        Task backfilling = backfills.RunAsync(stoppingToken);
        if (options.Value.ProvisionOnStart)
        {
            int attempt = 0;
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    ApplyMode mode = options.Value.ConfigurationWins ? ApplyMode.Enforce : ApplyMode.CreateMissing;
                    await provisioner.ApplyAsync(options.Value.ToSettings(), mode, stoppingToken).ConfigureAwait(false);
                    break;
                }
                catch (InfluxException ex)
                {
                    // 1 s doubling to 30 s: quick when influxd is just starting, quiet when it is down for long.
                    TimeSpan delay = TimeSpan.FromSeconds(Math.Min(30, 1 << Math.Min(attempt++, 5)));
                    LogRetry(logger, ex, delay.TotalSeconds);
                    await Task.Delay(delay, timeProvider, stoppingToken).ConfigureAwait(false);
                }
            }
        }

        _provisioned.TrySetResult();
        try
        {
            await backfilling.ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Provisioning the retention tiers failed; retrying in {DelaySeconds} s")]
    private static partial void LogRetry(ILogger logger, Exception exception, double delaySeconds);
}
