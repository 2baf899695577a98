using Datacake.Streams.Backups;
using Datacake.Streams.Influx.Client;
using Microsoft.Extensions.Options;

namespace Datacake.Streams.Api.Retention;

/// <summary>
/// Provisions the tiers when the node starts (retrying while InfluxDB is away, without blocking start-up), moves a
/// database of the layout before to one measurement per device (<see cref="StorageLayoutMigration"/>), then runs the
/// backfill queue for as long as the node lives.
/// </summary>
public sealed partial class RetentionService(
    RetentionProvisioner provisioner,
    StorageLayoutMigration layout,
    RetentionBackfills backfills,
    IOptions<RetentionTiersOptions> options,
    TimeProvider timeProvider,
    ILogger<RetentionService> logger) : BackgroundService
{
    private readonly TaskCompletionSource _provisioned = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private readonly TaskCompletionSource<LayoutMigrationResult> _migrated = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes once start-up provisioning succeeded (at once when it is switched off).</summary>
    public Task Provisioned => _provisioned.Task;

    /// <summary>Completes once the storage layout migration ran (nothing to do on a database of the current layout).</summary>
    public Task<LayoutMigrationResult> LayoutMigrated => _migrated.Task;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        Task backfilling = backfills.RunAsync(stoppingToken);
        if (options.Value.ProvisionOnStart)
        {
            ApplyMode mode = options.Value.ConfigurationWins ? ApplyMode.Enforce : ApplyMode.CreateMissing;
            await UntilDoneAsync(ct => provisioner.ApplyAsync(options.Value.ToSettings(), mode, ct), (ex, delay) => LogRetry(logger, ex, delay), stoppingToken).ConfigureAwait(false);
        }

        _provisioned.TrySetResult();
        await MigrateLayoutAsync(stoppingToken).ConfigureAwait(false);
        try
        {
            await backfilling.ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    private Task MigrateLayoutAsync(CancellationToken stoppingToken) =>
        UntilDoneAsync(
            async ct =>
            {
                LayoutMigrationResult result = await layout.RunAsync(ct).ConfigureAwait(false);
                if (result.Devices > 0)
                {
                    LogMigrated(logger, result.Devices, result.Points, result.LegacyDropped, string.Join("; ", result.Shortfalls.Take(5)));
                }

                _migrated.TrySetResult(result);
            },
            (ex, delay) => LogMigrationRetry(logger, ex, delay),
            stoppingToken);

    /// <summary>Runs <paramref name="work"/> until it succeeds or the node stops; an InfluxDB failure is retried.</summary>
    private async Task UntilDoneAsync(Func<CancellationToken, Task> work, Action<Exception, double> retrying, CancellationToken stoppingToken)
    {
        for (int attempt = 0; !stoppingToken.IsCancellationRequested; attempt++)
        {
            try
            {
                await work(stoppingToken).ConfigureAwait(false);
                return;
            }
            catch (InfluxException ex)
            {
                // 1 s doubling to 30 s: quick when influxd is just starting, quiet when it is down for long.
                TimeSpan delay = TimeSpan.FromSeconds(Math.Min(30, 1 << Math.Min(attempt, 5)));
                retrying(ex, delay.TotalSeconds);
                await Task.Delay(delay, timeProvider, stoppingToken).ConfigureAwait(false);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Storage layout: {Devices} devices moved to their own measurements ({Points} points); legacy dropped: {LegacyDropped} {Shortfalls}")]
    private static partial void LogMigrated(ILogger logger, int devices, long points, bool legacyDropped, string shortfalls);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Moving the storage layout failed; retrying in {DelaySeconds} s")]
    private static partial void LogMigrationRetry(ILogger logger, Exception exception, double delaySeconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Provisioning the retention tiers failed; retrying in {DelaySeconds} s")]
    private static partial void LogRetry(ILogger logger, Exception exception, double delaySeconds);
}
