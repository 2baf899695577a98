namespace Datacake.Streams.Backups;

/// <summary>Takes backups when <see cref="BackupSchedule"/> says they are due (role api).</summary>
/// <remarks>
/// The first backup waits until influxd holds the database (on a new deployment the retention service creates it a
/// few seconds after start; before that a backup could only fail). A failed backup leaves nothing behind
/// (<see cref="BackupService.TakeAsync"/>) and is tried again after <see cref="BackupSchedule.RetryAfter"/>.
/// </remarks>
public sealed partial class BackupScheduler(BackupService backups, BackupOptions options, TimeProvider time, ILogger<BackupScheduler> logger) : BackgroundService
{
    /// <summary>How often the first backup looks for the database. 2 s: the retention service makes it within seconds.</summary>
    private static readonly TimeSpan DatabasePoll = TimeSpan.FromSeconds(2);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await WaitForDatabaseAsync(stoppingToken);
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            var due = BackupSchedule.Next(backups.Primary.List().Select(e => e.Manifest), time.GetUtcNow(), options);
            var wait = due.At - time.GetUtcNow();
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, time, stoppingToken);
            }

            try
            {
                await backups.TakeAsync(new BackupRequest(MetadataStore: due.MetadataStore), stoppingToken);
                failures = 0;
            }
            catch (Exception ex) when (ex is BackupException or IOException or UnauthorizedAccessException)
            {
                var retry = BackupSchedule.RetryAfter(++failures, options);
                LogFailed(logger, ex.Message, retry, options.MeasurementInterval);
                await Task.Delay(retry, time, stoppingToken);
            }
        }
    }

    private async Task WaitForDatabaseAsync(CancellationToken stoppingToken)
    {
        var logged = false;
        while (!await backups.DatabaseExistsAsync(stoppingToken))
        {
            if (!logged)
            {
                LogWaiting(logger, backups.Database);
                logged = true;
            }

            await Task.Delay(DatabasePoll, time, stoppingToken);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Scheduled backup failed: {Reason}; next try in {Retry} (interval {Interval})")]
    private static partial void LogFailed(ILogger logger, string reason, TimeSpan retry, TimeSpan interval);

    [LoggerMessage(Level = LogLevel.Information, Message = "The first backup waits until InfluxDB holds the database {Database}")]
    private static partial void LogWaiting(ILogger logger, string database);
}
