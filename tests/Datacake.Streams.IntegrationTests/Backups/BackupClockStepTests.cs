using Datacake.Streams.Backups;
using Datacake.Streams.Ids;
using Datacake.Streams.IntegrationTests.Ingest.Bridge;
using Datacake.Streams.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;

namespace Datacake.Streams.IntegrationTests.Backups;

/// <summary>
/// The backup scheduler and service on the real influxd while the host's clock is set back a day between two
/// backups (docs/OPERATIONS.md "When the clock steps back"). The timers run on the fake clock's monotonic time,
/// which the test moves a minute at a time while no backup runs.
/// </summary>
public sealed class BackupClockStepTests
{
    private static readonly TimeSpan _step = TimeSpan.FromDays(1);

    [Fact]
    [Trait("Reliability", "clock-jump-backwards")]
    public async Task After_the_clock_steps_back_a_day_backups_keep_their_hourly_interval_start_a_new_chain_and_those_dated_ahead_are_kept()
    {
        await using var bed = await BackupTestBed.CreateAsync();
        var clock = new SteppedClock(DateTimeOffset.UtcNow);
        var options = bed.Options with { MeasurementInterval = TimeSpan.FromHours(1), MetadataInterval = TimeSpan.FromHours(24) };
        var service = new BackupService(bed.Influx, options, options.Directory!, clock, NullLogger<BackupService>.Instance, bed.Snapshot);
        var device = DeviceId.New().ToString();
        await bed.WriteAsync("raw", $"{BackupTestBed.LineOf(device)} v=1 {UnixNs(clock.GetUtcNow().AddMinutes(-10))}");

        // The last backup before the step, taken an hour's interval ago by the clock of then.
        var beforeStep = await service.TakeAsync(new BackupRequest(), CancellationToken.None);
        clock.StepBack(_step);

        // A point received after the step, dated by the clock as processing dates it.
        await bed.WriteAsync("raw", $"{BackupTestBed.LineOf(device)} v=2 {UnixNs(clock.GetUtcNow().AddMinutes(-10))}");

        var logger = new CapturingLogger<BackupScheduler>();
        using var scheduler = new BackupScheduler(service, options, clock, logger);
        await scheduler.StartAsync(CancellationToken.None);
        try
        {
            // The backup dated a day ahead is not counted: the first one after the step is due at once (counted, it
            // would put the next one a day and an hour away), and the next one an hour after it in the new time.
            await UntilAsync(() => service.Primary.List().Count == 2, "the first backup after the step, at once");
            var toThird = await AdvanceUntilAsync(clock, service, 3);
            Assert.InRange(toThird, TimeSpan.FromMinutes(59), TimeSpan.FromMinutes(61));
            Assert.DoesNotContain("failed", logger.Text, StringComparison.OrdinalIgnoreCase);

            var manifests = service.Primary.List().Select(e => e.Manifest).ToList();
            var afterStep = manifests.Where(m => m.Id != beforeStep.Id).OrderBy(m => m.StartedAt).ToList();
            Assert.Equal(2, afterStep.Count);

            // The one dated a day ahead is kept by pruning (the newest restore points before the step).
            Assert.Contains(manifests, m => m.Id == beforeStep.Id);

            // Not an incremental from the backup dated ahead (its range would be empty and the new point in none):
            // full, holding the point received after the step.
            Assert.All(afterStep, m => Assert.Equal(BackupKind.Full, m.Kind));
            Assert.All(afterStep, m => Assert.True(m.End < beforeStep.End));
            Assert.All(afterStep, m => Assert.Equal(1, m.Counts["raw"]["values"]["v"]));
            Assert.Equal(1, beforeStep.Counts["raw"]["values"]["v"]);
        }
        finally
        {
            await scheduler.StopAsync(CancellationToken.None);
        }
    }

    private static long UnixNs(DateTimeOffset time) => (time - DateTimeOffset.UnixEpoch).Ticks * 100;

    /// <summary>Moves the clock a minute at a time, only while no backup runs, until <paramref name="count"/> backups are listed; returns how far.</summary>
    private static async Task<TimeSpan> AdvanceUntilAsync(SteppedClock clock, BackupService service, int count)
    {
        var moved = TimeSpan.Zero;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (service.Primary.List().Count < count)
        {
            Assert.True(DateTime.UtcNow < deadline, $"backup {count} was not taken within {moved} of clock time");
            Assert.True(moved < TimeSpan.FromHours(3), $"backup {count} was not due within 3 h of clock time");
            if (service.Running is null)
            {
                clock.Advance(TimeSpan.FromMinutes(1));
                moved += TimeSpan.FromMinutes(1);
            }

            await Task.Delay(20);
        }

        return moved;
    }

    private static async Task UntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting until {what}");
            await Task.Delay(50);
        }
    }
}
