using Datacake.Streams.Backups;
using Microsoft.Extensions.Time.Testing;

namespace Datacake.Streams.UnitTests.Backups;

// The host assembly is Linux-only (Unix file modes for keys); so are these tests of it.
public sealed class BackupRetentionTests
{
    private static readonly DateTimeOffset _start = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Keeps_the_newest_of_each_of_the_last_24_hours_and_14_days_with_their_chains()
    {
        // Hourly backups for 20 days, a full one each midnight: 480 backups.
        var time = new FakeTimeProvider(_start);
        var backups = new List<BackupManifest>();
        BackupManifest? previous = null;
        for (var hour = 0; hour < 20 * 24; hour++)
        {
            var at = time.GetUtcNow();
            var full = hour % 24 == 0;
            var manifest = Manifest(at, full ? null : previous);
            backups.Add(manifest);
            previous = manifest;
            time.Advance(TimeSpan.FromHours(1));
        }

        var now = time.GetUtcNow().AddMinutes(-30);
        var keep = BackupRetention.Keep(backups, now, hourly: 24, daily: 14);

        // The last 24 hours: 24 restore points.
        foreach (var backup in backups.Where(b => b.StartedAt > now.AddHours(-24)))
        {
            Assert.Contains(backup.Id, keep);
        }

        // Days 6..19 (the last 14): each day's last backup, which needs its whole day's chain.
        for (var day = 6; day < 20; day++)
        {
            var dayStart = _start.AddDays(day);
            var ofDay = backups.Where(b => b.StartedAt >= dayStart && b.StartedAt < dayStart.AddDays(1)).ToList();
            Assert.All(ofDay, b => Assert.Contains(b.Id, keep));
        }

        // Older days are gone, chains and all.
        Assert.DoesNotContain(backups.Where(b => b.StartedAt < _start.AddDays(6)), b => keep.Contains(b.Id));
        Assert.Equal(14 * 24, keep.Count);
    }

    [Fact]
    public void A_kept_incremental_keeps_its_full_base_and_everything_between()
    {
        var full = Manifest(_start, null);
        var first = Manifest(_start.AddHours(1), full);
        var second = Manifest(_start.AddHours(2), first);
        var now = _start.AddDays(5);

        var keep = BackupRetention.Keep([full, first, second], now, hourly: 1, daily: 0);

        Assert.Equal([full.Id, first.Id, second.Id], keep.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Nothing_past_the_windows_survives_but_the_newest()
    {
        var old = Manifest(_start, null);
        var newer = Manifest(_start.AddHours(1), null);

        var keep = BackupRetention.Keep([old, newer], _start.AddDays(60), hourly: 24, daily: 14);

        Assert.Equal([newer.Id], keep);
    }

    [Fact]
    public void Schedule_takes_measurements_every_interval_and_the_metadata_store_daily()
    {
        var options = new BackupOptions { SecondaryDirectory = "/b", MeasurementInterval = TimeSpan.FromHours(1), MetadataInterval = TimeSpan.FromHours(24) };
        var now = _start.AddHours(10);

        var first = BackupSchedule.Next(null, null, now, options);
        Assert.Equal(now, first.At);
        Assert.True(first.MetadataStore);

        var hourly = BackupSchedule.Next(now, now, now.AddMinutes(5), options);
        Assert.Equal(now.AddHours(1), hourly.At);
        Assert.False(hourly.MetadataStore);

        var daily = BackupSchedule.Next(now.AddHours(23), now, now.AddHours(23).AddMinutes(1), options);
        Assert.Equal(now.AddHours(24), daily.At);
        Assert.True(daily.MetadataStore);

        // Overdue (the host was down): at once.
        Assert.Equal(now.AddDays(3), BackupSchedule.Next(now, now, now.AddDays(3), options).At);
    }

    [Fact]
    public void A_failed_backup_is_retried_after_30_s_doubling_to_5_minutes()
    {
        var options = new BackupOptions { SecondaryDirectory = "/b" };
        TimeSpan[] expected = [TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(4), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(5)];
        Assert.Equal(expected, Enumerable.Range(1, expected.Length).Select(n => BackupSchedule.RetryAfter(n, options)));
        Assert.Equal(TimeSpan.FromMinutes(5), BackupSchedule.RetryAfter(int.MaxValue, options));

        var validator = new BackupOptionsValidator();
        Assert.False(validator.Validate(null, options with { RetryDelay = TimeSpan.Zero }).Succeeded);
        Assert.False(validator.Validate(null, options with { RetryMaxDelay = TimeSpan.FromSeconds(10) }).Succeeded);
    }

    [Fact]
    public void Options_refuse_a_secondary_site_inside_the_primary_and_a_host_without_port()
    {
        var validator = new BackupOptionsValidator();
        Assert.True(validator.Validate(null, new BackupOptions { Directory = "/data/backups", SecondaryDirectory = "/mnt/site2" }).Succeeded);
        Assert.True(validator.Validate(null, new BackupOptions { Directory = "/data/backups", SecondaryDirectory = "/data/backups/copy" }).Failed);
        Assert.True(validator.Validate(null, new BackupOptions { Directory = "/data/backups", SecondaryDirectory = "/data/backups" }).Failed);
        Assert.True(validator.Validate(null, new BackupOptions { SecondaryDirectory = null }).Failed);
        Assert.True(validator.Validate(null, new BackupOptions { SecondaryDirectory = "/x", BackupHost = "127.0.0.1" }).Failed);
    }

    private static BackupManifest Manifest(DateTimeOffset at, BackupManifest? previous)
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
            Files = [],
            Counts = new Dictionary<string, IReadOnlyDictionary<string, IReadOnlyDictionary<string, long>>>(),
        };
    }
}
