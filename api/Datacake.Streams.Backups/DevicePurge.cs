using Datacake.Streams.Ids;
using Datacake.Streams.Influx.Client;
using Datacake.Streams.Influx.Querying;

namespace Datacake.Streams.Backups;

/// <summary>
/// Erases the points of devices deleted longer ago than the recovery window: <c>DROP SERIES FROM /.*/ WHERE
/// device='…'</c>, which InfluxDB applies to every retention policy of the database (raw, m1, h1, meta). After that
/// only a backup can bring them back (<see cref="BackupRestorer.RestoreDeviceAsync"/>), until pruning removes the
/// last backup that holds them.
/// </summary>
public sealed partial class DevicePurge(IDeletedDevices deleted, Func<DeviceId, CancellationToken, Task> dropSeries, TimeProvider time, ILogger<DevicePurge> logger)
{
    /// <summary>One pass: purges every expired device and returns them.</summary>
    public async Task<IReadOnlyList<DeviceId>> RunOnceAsync(CancellationToken cancellationToken)
    {
        var purged = new List<DeviceId>();
        var now = time.GetUtcNow();
        await foreach (var expired in deleted.ExpiredAsync(now, cancellationToken))
        {
            await dropSeries(expired.Device, cancellationToken);
            await deleted.MarkPurgedAsync(expired.Device, time.GetUtcNow(), cancellationToken);
            LogPurged(logger, expired.Device.ToString(), expired.DeletedAt);
            purged.Add(expired.Device);
        }

        return purged;
    }

    /// <summary>The InfluxDB side: drops the device's series in every policy of the database.</summary>
    public static Func<DeviceId, CancellationToken, Task> DropFrom(InfluxClient influx) =>
        (device, cancellationToken) => influx.ExecuteAsync(
            $"DROP SERIES FROM /.*/ WHERE device = {InfluxQl.QuoteString(device.ToString())}", influx.Options.Database, cancellationToken);

    [LoggerMessage(Level = LogLevel.Information, Message = "Purged the points of device {Device}, deleted at {DeletedAt}")]
    private static partial void LogPurged(ILogger logger, string device, DateTimeOffset deletedAt);
}

/// <summary>
/// Runs <see cref="DevicePurge"/> at start and then every <see cref="Interval"/>, once identity has registered an
/// <see cref="IDeletedDevices"/>; without one there is nothing to purge and it says so once.
/// </summary>
public sealed partial class DevicePurgeService(IServiceProvider services, TimeProvider time, ILogger<DevicePurgeService> logger) : BackgroundService
{
    /// <summary>An hour: a device's points outlive its window by at most this much.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromHours(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (services.GetService<IDeletedDevices>() is not { } deleted)
        {
            LogNotWired(logger);
            return;
        }

        var purge = new DevicePurge(deleted, DevicePurge.DropFrom(services.GetRequiredService<InfluxClient>()), time, services.GetRequiredService<ILogger<DevicePurge>>());
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await purge.RunOnceAsync(stoppingToken);
            }
            catch (InfluxException ex)
            {
                LogFailed(logger, ex.Message);
            }

            await Task.Delay(Interval, time, stoppingToken);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Device purge pass failed: {Reason}; next pass in the next interval")]
    private static partial void LogFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "No IDeletedDevices registered: deleted devices' points are not purged")]
    private static partial void LogNotWired(ILogger logger);
}
