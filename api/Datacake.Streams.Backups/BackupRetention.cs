namespace Datacake.Streams.Backups;

/// <summary>
/// Which backups pruning keeps: the newest of each of the last <c>hourly</c> clock hours and of each of the last
/// <c>daily</c> UTC days, always the newest overall, every backup dated after now (the clock stepped back), and every
/// backup a kept one needs to be restored (its full base and the incrementals between).
/// </summary>
public static class BackupRetention
{
    public static IReadOnlySet<string> Keep(IReadOnlyList<BackupManifest> backups, DateTimeOffset now, int hourly, int daily)
    {
        var keep = new HashSet<string>(StringComparer.Ordinal);
        if (backups.Count == 0)
        {
            return keep;
        }

        var newestFirst = backups.OrderByDescending(b => b.StartedAt).ThenByDescending(b => b.Id, StringComparer.Ordinal).ToList();
        keep.Add(newestFirst[0].Id);

        var thisHour = Floor(now, TimeSpan.FromHours(1));
        KeepNewestPerBucket(newestFirst, keep, b => Floor(b.StartedAt, TimeSpan.FromHours(1)), bucket => bucket > thisHour.AddHours(-hourly) && bucket <= thisHour);
        var today = Floor(now, TimeSpan.FromDays(1));
        KeepNewestPerBucket(newestFirst, keep, b => Floor(b.StartedAt, TimeSpan.FromDays(1)), bucket => bucket > today.AddDays(-daily) && bucket <= today);

        // Dated after now: taken before the host's clock stepped back. Which hour or day they belong to is unknown
        // until the clock passes them again; deleting them would drop the newest restore points.
        foreach (var ahead in backups.Where(b => b.StartedAt > now))
        {
            keep.Add(ahead.Id);
        }

        // An incremental is only restorable with every backup of its chain before it.
        var byId = backups.ToDictionary(b => b.Id, StringComparer.Ordinal);
        foreach (var id in keep.ToList())
        {
            for (var current = byId[id]; current.PreviousId is { } previous && byId.TryGetValue(previous, out var before); current = before)
            {
                keep.Add(before.Id);
            }
        }

        return keep;
    }

    private static void KeepNewestPerBucket(
        List<BackupManifest> newestFirst, HashSet<string> keep, Func<BackupManifest, DateTimeOffset> bucketOf, Func<DateTimeOffset, bool> inWindow)
    {
        var seen = new HashSet<DateTimeOffset>();
        foreach (var backup in newestFirst)
        {
            var bucket = bucketOf(backup);
            if (inWindow(bucket) && seen.Add(bucket))
            {
                keep.Add(backup.Id);
            }
        }
    }

    private static DateTimeOffset Floor(DateTimeOffset time, TimeSpan unit) =>
        new(time.UtcTicks - (time.UtcTicks % unit.Ticks), TimeSpan.Zero);
}
