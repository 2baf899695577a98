namespace Datacake.Streams.Backups;

/// <summary>When the next backup is due and whether the metadata store is part of it.</summary>
public readonly record struct BackupDue(DateTimeOffset At, bool MetadataStore);

public static class BackupSchedule
{
    /// <summary>
    /// <see cref="Next(DateTimeOffset?, DateTimeOffset?, DateTimeOffset, BackupOptions)"/> from the backups taken. A
    /// backup dated after <paramref name="now"/> was taken before the host's clock stepped back: it is not counted, so
    /// the first backup after the step is due at once and the next ones an interval apart in the clock's new time.
    /// Counted, it would put the next backup one interval plus the step away: a clock set back by a month would stop
    /// backups for a month (docs/OPERATIONS.md "When the clock steps back").
    /// </summary>
    public static BackupDue Next(IEnumerable<BackupManifest> backups, DateTimeOffset now, BackupOptions options)
    {
        ArgumentNullException.ThrowIfNull(backups);
        var counted = backups.Where(b => b.StartedAt <= now).ToList();
        var lastBackup = counted.MaxBy(b => b.StartedAt)?.StartedAt;
        var lastMetadataStore = counted.Where(b => b.MetadataStore).MaxBy(b => b.StartedAt)?.StartedAt;
        return Next(lastBackup, lastMetadataStore, now, options);
    }

    /// <summary>
    /// The next backup: <see cref="BackupOptions.MeasurementInterval"/> after the last one (at once when there is
    /// none), and it includes the metadata store when <see cref="BackupOptions.MetadataInterval"/> has passed since the
    /// last backup that held it, by then. The metadata store is never backed up on its own: measurements come first.
    /// </summary>
    public static BackupDue Next(DateTimeOffset? lastBackup, DateTimeOffset? lastMetadataStore, DateTimeOffset now, BackupOptions options)
    {
        var at = lastBackup is { } last ? last + options.MeasurementInterval : now;
        if (at < now)
        {
            at = now;
        }

        var metadataDue = lastMetadataStore is not { } lastStore || at - lastStore >= options.MetadataInterval;
        return new BackupDue(at, metadataDue);
    }

    /// <summary>The wait after the <paramref name="failures"/>-th failed backup in a row (1-based): doubling from <see cref="BackupOptions.RetryDelay"/>, capped.</summary>
    public static TimeSpan RetryAfter(int failures, BackupOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(failures, 1);
        var delay = options.RetryDelay;
        for (var i = 1; i < failures && delay < options.RetryMaxDelay; i++)
        {
            delay += delay;
        }

        return delay < options.RetryMaxDelay ? delay : options.RetryMaxDelay;
    }
}
