using Datacake.Streams.Backups;
using Datacake.Streams.Influx.Client;
using Datacake.Streams.Influx.Querying;
using Datacake.Streams.IntegrationTests.Ingest.Bridge;
using Datacake.Streams.IntegrationTests.Services;
using Microsoft.Extensions.Logging.Abstractions;

namespace Datacake.Streams.IntegrationTests.Backups;

/// <summary>The scheduler and a failed backup against the real influxd, on a database that does not exist yet.</summary>
public sealed class BackupSchedulerTests
{
    [Fact]
    public async Task A_backup_that_fails_leaves_no_partial_folder()
    {
        await using var bed = await BackupTestBed.CreateAsync();
        using var influx = MissingDatabaseClient(out _);
        var service = new BackupService(influx, bed.Options, bed.Options.Directory!, TimeProvider.System, NullLogger<BackupService>.Instance);

        await Assert.ThrowsAsync<BackupException>(() => service.TakeAsync(new BackupRequest(), CancellationToken.None));

        Assert.Empty(Directory.EnumerateFileSystemEntries(bed.Options.Directory!));
        Assert.Empty(service.Primary.List());
    }

    [Fact]
    public async Task The_first_scheduled_backup_waits_for_the_database_and_is_taken_once_it_exists()
    {
        await using var bed = await BackupTestBed.CreateAsync();
        using var influx = MissingDatabaseClient(out var database);
        var service = new BackupService(influx, bed.Options, bed.Options.Directory!, TimeProvider.System, NullLogger<BackupService>.Instance);
        var logger = new CapturingLogger<BackupScheduler>();
        using var scheduler = new BackupScheduler(service, bed.Options, TimeProvider.System, logger);
        await scheduler.StartAsync(CancellationToken.None);
        try
        {
            await UntilAsync(() => Task.FromResult(logger.Text.Contains("waits until InfluxDB holds the database", StringComparison.Ordinal)), "the scheduler waits for the database");
            await influx.ExecuteAsync($"CREATE DATABASE {InfluxQl.QuoteIdentifier(database)} WITH DURATION 30d NAME raw");

            // A first try before the database existed would have failed and waited RetryDelay (30 s), past this deadline.
            await UntilAsync(() => Task.FromResult(service.Primary.List().Count == 1), "the first backup is listed", TimeSpan.FromSeconds(20));
            Assert.DoesNotContain("failed", logger.Text, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(Directory.EnumerateDirectories(bed.Options.Directory!), d => d.EndsWith(".partial", StringComparison.Ordinal));
        }
        finally
        {
            await scheduler.StopAsync(CancellationToken.None);
            await influx.ExecuteAsync($"DROP DATABASE {InfluxQl.QuoteIdentifier(database)}");
        }
    }

    private static InfluxClient MissingDatabaseClient(out string database)
    {
        var endpoints = ServiceEndpoints.Current;
        database = $"test_bk_missing_{Guid.NewGuid():N}";
        return new InfluxClient(new InfluxOptions
        {
            Url = new Uri(endpoints.InfluxUrl),
            Database = database,
            User = endpoints.InfluxUser,
            Password = endpoints.InfluxPassword,
            MaxRetries = 1,
            RequestTimeout = TimeSpan.FromSeconds(60),
        });
    }

    private static async Task UntilAsync(Func<Task<bool>> condition, string what, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(30));
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting until {what}");
            await Task.Delay(50);
        }
    }
}
