using Datacake.Streams.Backups;

namespace Datacake.Streams.UnitTests.Backups;

/// <summary>
/// Schedule and pruning when the host's clock was set back after backups were taken, so that some are dated ahead of
/// now (docs/OPERATIONS.md "When the clock steps back").
/// </summary>
public sealed class BackupClockStepTests
{
    private static readonly DateTimeOffset _start = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly BackupOptions _options = new() { SecondaryDirectory = "/b", MeasurementInterval = TimeSpan.FromHours(1), MetadataInterval = TimeSpan.FromHours(24) };

    [Fact]
    [Trait("Reliability", "clock-jump-backwards")]
    public void Backups_dated_ahead_of_the_clock_do_not_push_the_next_one_away_and_pruning_keeps_them()
    {
        // Hourly for three days (the metadata store at each midnight), then the clock is set back two days to
        // 5 minutes past the 24th backup.
        var backups = Hourly(_start, 72, fullEvery: 24);
        var now = _start.AddHours(24).AddMinutes(5);

        // An hour after the last backup dated before now, not an hour after the one dated two days ahead.
        Assert.Equal(new BackupDue(_start.AddHours(25), MetadataStore: false), BackupSchedule.Next(backups, now, _options));

        // Set back before all of them: due at once, with the metadata store; then hourly in the clock's new time.
        var early = _start.AddHours(-5);
        Assert.Equal(new BackupDue(early, MetadataStore: true), BackupSchedule.Next(backups, early, _options));
        var taken = Manifest(early, previous: null, metadataStore: true);
        Assert.Equal(new BackupDue(early.AddHours(1), MetadataStore: false), BackupSchedule.Next([.. backups, taken], early.AddMinutes(1), _options));
    }

    [Fact]
    [Trait("Reliability", "clock-jump-backwards")]
    public void Pruning_keeps_every_backup_dated_ahead_of_the_clock()
    {
        // Full backups hourly for three days (no chains to keep them), then the clock set back two days.
        var backups = Hourly(_start, 72, fullEvery: 1);
        var now = _start.AddHours(24).AddMinutes(5);

        // Which hour or day they belong to is unknown until the clock passes them again; pruned as too new for
        // every bucket, the newest restore points of before the step would be gone.
        var keep = BackupRetention.Keep(backups, now, hourly: 24, daily: 14);
        var ahead = backups.Where(b => b.StartedAt > now).ToList();
        Assert.Equal(47, ahead.Count);
        Assert.All(ahead, b => Assert.Contains(b.Id, keep));

        // Once the clock is past them the usual rules apply again: the last 24 hours and the last of each day before.
        Assert.Equal(24 + 2, BackupRetention.Keep(backups, _start.AddHours(71).AddMinutes(30), hourly: 24, daily: 14).Count);
    }

    [Fact]
    [Trait("Reliability", "clock-jump-backwards")]
    public void A_step_back_past_the_last_backup_takes_one_at_once_and_a_shorter_one_changes_nothing()
    {
        // The last backup at 10:00; at 10:30 the clock is set back 10 minutes to 10:20.
        var last = Manifest(_start.AddHours(10), previous: null, metadataStore: true);
        var due = BackupSchedule.Next([last], _start.AddHours(10).AddMinutes(20), _options);
        Assert.Equal(_start.AddHours(11), due.At);

        // Set back to 09:59, the 10:00 backup is ahead of the clock: one backup at once, then hourly from it.
        Assert.Equal(_start.AddHours(10).AddMinutes(-1), BackupSchedule.Next([last], _start.AddHours(10).AddMinutes(-1), _options).At);
    }

    private static List<BackupManifest> Hourly(DateTimeOffset from, int count, int fullEvery)
    {
        var backups = new List<BackupManifest>();
        BackupManifest? previous = null;
        for (var hour = 0; hour < count; hour++)
        {
            var full = hour % fullEvery == 0;
            var manifest = Manifest(from.AddHours(hour), full ? null : previous, metadataStore: hour % 24 == 0);
            backups.Add(manifest);
            previous = manifest;
        }

        return backups;
    }

    private static BackupManifest Manifest(DateTimeOffset at, BackupManifest? previous, bool metadataStore)
    {
        var id = BackupIds.For(at);
        return new BackupManifest
        {
            Id = id,
            Kind = previous is null ? BackupKind.Full : BackupKind.Incremental,
            BaseId = previous?.BaseId ?? id,
            PreviousId = previous?.Id,
            Database = "datacake",
            End = at,
            StartedAt = at,
            RetentionPolicies = ["raw"],
            MetadataStore = metadataStore,
            Files = [],
            Counts = new Dictionary<string, IReadOnlyDictionary<string, IReadOnlyDictionary<string, long>>>(),
        };
    }
}
