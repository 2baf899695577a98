namespace Datacake.Streams.Backups;

/// <summary>Takes backups when <see cref="BackupSchedule"/> says they are due (role api).</summary>
public sealed partial class BackupScheduler(BackupService backups, BackupOptions options, TimeProvider time, ILogger<BackupScheduler> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var listed = backups.Primary.List().Select(e => e.Manifest).ToList();
            var due = BackupSchedule.Next(
                listed.LastOrDefault()?.StartedAt,
                listed.LastOrDefault(m => m.MetadataStore)?.StartedAt,
                time.GetUtcNow(),
                options);
            var wait = due.At - time.GetUtcNow();
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, time, stoppingToken);
            }

            try
            {
                await backups.TakeAsync(new BackupRequest(MetadataStore: due.MetadataStore), stoppingToken);
            }
            catch (Exception ex) when (ex is BackupException or IOException or UnauthorizedAccessException)
            {
                LogFailed(logger, ex.Message, options.MeasurementInterval);

                // Not at once again: a broken influxd or a full disk would make a tight loop.
                await Task.Delay(TimeSpan.FromMinutes(5), time, stoppingToken);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Scheduled backup failed: {Reason}; next try in 5 minutes (interval {Interval})")]
    private static partial void LogFailed(ILogger logger, string reason, TimeSpan interval);
}
