using System.Runtime.CompilerServices;
using System.Text;
using Datacake.Streams.Backups;
using Datacake.Streams.Ids;
using Datacake.Streams.Influx.Querying;
using Microsoft.Extensions.Logging.Abstractions;

namespace Datacake.Streams.IntegrationTests.Backups;

/// <summary>Backups against the real influxd with the real influxd backup/restore binaries and a real SQLite file.</summary>
public sealed class BackupRestoreTests
{
    [Fact]
    public async Task Deleted_device_purged_after_its_window_comes_back_from_a_backup_with_the_same_values()
    {
        await using var bed = await BackupTestBed.CreateAsync();
        var kept = DeviceId.New().ToString();
        var deleted = DeviceId.New().ToString();
        var t0 = DateTimeOffset.UtcNow.AddMinutes(-30).ToUnixTimeMilliseconds() * 1_000_000L;
        await bed.WriteAsync("raw", Lines(kept, t0, 0, 100) + Lines(deleted, t0, 0, 60));
        await bed.WriteAsync("meta", $"{BackupTestBed.LineOf(deleted)} rssi=-81,snr=7.5 {t0}\n{BackupTestBed.LineOf(kept)} rssi=-70 {t0}\n");

        var full = await bed.Service.TakeAsync(new BackupRequest(), CancellationToken.None);
        Assert.Equal(BackupKind.Full, full.Kind);
        Assert.True(full.MetadataStore);
        Assert.Equal(["raw", "m1", "h1", "meta"], full.RetentionPolicies);
        Assert.Equal(160, BackupManifest.Points(full.Counts["raw"]["values"]));

        // More points after the full backup: only the incremental holds them.
        await bed.WriteAsync("raw", Lines(kept, t0, 100, 50) + Lines(deleted, t0, 60, 40));
        var incremental = await bed.Service.TakeAsync(new BackupRequest(), CancellationToken.None);
        Assert.Equal(BackupKind.Incremental, incremental.Kind);
        Assert.Equal(full.Id, incremental.PreviousId);
        Assert.Equal(250, BackupManifest.Points(incremental.Counts["raw"]["values"]));
        Assert.True(incremental.CountsSettled);

        var before = await bed.PointsAsync(bed.Database, "raw", deleted);
        var metaBefore = await bed.PointsAsync(bed.Database, "meta", deleted);
        Assert.Equal(100, before.Count);

        // The device was deleted 31 days ago with a 30-day window: the purge erases its points.
        DeviceId.TryParse(deleted, out var deletedId);
        var records = new DeletionRecords(deletedId, DateTimeOffset.UtcNow.AddDays(-31));
        var purge = new DevicePurge(records, DevicePurge.DropFrom(bed.Influx), TimeProvider.System, NullLogger<DevicePurge>.Instance);
        Assert.Equal([deletedId], await purge.RunOnceAsync(CancellationToken.None));
        Assert.Empty(await bed.PointsAsync(bed.Database, "raw", deleted));
        Assert.Empty(await bed.PointsAsync(bed.Database, "meta", deleted));
        Assert.Equal(150, (await bed.PointsAsync(bed.Database, "raw", kept)).Count);
        Assert.True(records.Purged);

        var restored = await bed.Restorer.RestoreDeviceAsync(incremental.Id, deletedId, CancellationToken.None);
        Assert.Equal(100, restored.PointsWritten["raw"]);
        Assert.Equal(before, await bed.PointsAsync(bed.Database, "raw", deleted));
        Assert.Equal(metaBefore, await bed.PointsAsync(bed.Database, "meta", deleted));
        Assert.Equal(150, (await bed.PointsAsync(bed.Database, "raw", kept)).Count);

        // A full restore of the chain into a new database holds exactly the manifest's counts.
        var result = await bed.Restorer.RestoreAsync(incremental.Id, swap: false, confirm: false, CancellationToken.None);
        bed.Owns(result.Database);
        Assert.True(result.Verified, string.Join("; ", result.Problems));
        Assert.Equal([full.Id, incremental.Id], result.Chain);
        Assert.Equal(250, await bed.CountAsync(result.Database, "raw", "temperature"));
        Assert.Equal(incremental.Counts["raw"]["values"], result.Counts["raw"]["values"]);

        // And the full backup alone restores to its own counts: the incremental's points are not in it.
        var first = await bed.Restorer.RestoreAsync(full.Id, swap: false, confirm: false, CancellationToken.None);
        bed.Owns(first.Database);
        Assert.True(first.Verified, string.Join("; ", first.Problems));
        Assert.Equal(160, await bed.CountAsync(first.Database, "raw", "temperature"));
    }

    [Fact]
    public async Task Copy_to_the_second_site_is_verified_and_a_corrupted_file_there_is_detected()
    {
        await using var bed = await BackupTestBed.CreateAsync();
        var t0 = DateTimeOffset.UtcNow.AddMinutes(-10).ToUnixTimeMilliseconds() * 1_000_000L;
        await bed.WriteAsync("raw", Lines(DeviceId.New().ToString(), t0, 0, 50));
        var manifest = await bed.Service.TakeAsync(new BackupRequest(), CancellationToken.None);

        var listed = Assert.Single(bed.Service.Primary.List());
        Assert.True(listed.Verification!.Ok, string.Join("; ", listed.Verification.Problems));
        Assert.NotNull(bed.Service.Secondary.TryRead(manifest.Id));
        Assert.True((await bed.Service.VerifyAsync(manifest.Id, CancellationToken.None)).Ok);

        var shard = manifest.Files.First(f => f.Path.StartsWith("influx/raw/", StringComparison.Ordinal) && f.Path.EndsWith(".tar.gz", StringComparison.Ordinal));
        var path = Path.Combine(bed.Service.Secondary.FolderOf(manifest.Id), shard.Path);
        var bytes = await File.ReadAllBytesAsync(path);
        bytes[bytes.Length / 2] ^= 0x5a;
        await File.WriteAllBytesAsync(path, bytes);

        var verification = await bed.Service.VerifyAsync(manifest.Id, CancellationToken.None);
        Assert.True(verification.PrimaryOk);
        Assert.False(verification.SecondaryOk);
        Assert.Contains(verification.Problems, p => p.Contains(shard.Path, StringComparison.Ordinal) && p.Contains("SHA-256", StringComparison.Ordinal));

        // A restore from the damaged site refuses to run.
        var damaged = await Assert.ThrowsAsync<BackupException>(() => BackupRestorer.RestoreIntoAsync(
            bed.Service.Secondary, manifest.Id, bed.Service.Tool, bed.Influx, bed.Database + "_never", CancellationToken.None));
        Assert.Equal(BackupFailure.ChecksumMismatch, damaged.Failure);
    }

    [Fact]
    public async Task Backup_folders_hold_no_token_secret()
    {
        await using var bed = await BackupTestBed.CreateAsync();
        await bed.WriteAsync("raw", Lines(DeviceId.New().ToString(), DateTimeOffset.UtcNow.AddMinutes(-5).ToUnixTimeMilliseconds() * 1_000_000L, 0, 10));
        var manifest = await bed.Service.TakeAsync(new BackupRequest(), CancellationToken.None);
        Assert.True(manifest.MetadataStore);
        Assert.Contains(manifest.Files, f => f.Path == "metadata/metadata.db");

        var scanned = 0;
        foreach (var root in new[] { bed.Options.Directory!, bed.Options.SecondaryDirectory! })
        {
            foreach (var file in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories))
            {
                var content = await File.ReadAllBytesAsync(file);
                foreach (var secret in bed.TokenSecrets)
                {
                    Assert.True(content.AsSpan().IndexOf(Encoding.UTF8.GetBytes(secret)) < 0, $"{file} holds a token secret");
                }

                scanned++;
            }
        }

        Assert.True(scanned >= 2 * manifest.Files.Count, $"scanned {scanned} files");

        // The snapshot is the real metadata: the hashes are there (so the scan looked at the right bytes).
        var copy = await File.ReadAllBytesAsync(Path.Combine(bed.Service.Primary.FolderOf(manifest.Id), "metadata", "metadata.db"));
        Assert.True(copy.AsSpan().IndexOf(Encoding.UTF8.GetBytes("user3@example.com")) >= 0);
    }

    [Fact]
    public async Task Backup_taken_while_points_are_written_loses_nothing()
    {
        await using var bed = await BackupTestBed.CreateAsync();
        var device = DeviceId.New().ToString();
        using var stop = new CancellationTokenSource();
        long written = 0;
        var writer = Task.Run(async () =>
        {
            // Points stamped "now", as processing stamps records received now; 500 per batch.
            while (!stop.IsCancellationRequested)
            {
                var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000L;
                var batch = new StringBuilder();
                for (var i = 0; i < 500; i++)
                {
                    batch.Append(BackupTestBed.LineOf(device)).Append(" temperature=").Append(i).Append(' ').Append(now + i).Append('\n');
                }

                await bed.WriteAsync("raw", batch.ToString());
                Interlocked.Add(ref written, 500);
            }
        });

        // Writes run for 3 s before the backup, so that points older than its end (start - 1 s lag) exist.
        var started = DateTime.UtcNow;
        var deadline = started.AddSeconds(30);
        while ((Interlocked.Read(ref written) < 20_000 || DateTime.UtcNow - started < TimeSpan.FromSeconds(3)) && DateTime.UtcNow < deadline && !writer.IsCompleted)
        {
            await Task.Delay(20);
        }

        var manifest = await bed.Service.TakeAsync(new BackupRequest(MetadataStore: false), CancellationToken.None);
        var duringBackup = Interlocked.Read(ref written);
        await stop.CancelAsync();
        await writer;

        Assert.True(manifest.CountsSettled);
        var counted = BackupManifest.Points(manifest.Counts["raw"]["values"]);
        Assert.True(counted > 0, "the manifest counted nothing");

        // What InfluxDB holds up to the backup's end is what the manifest says, and what the restore brings back.
        var live = await InfluxCounts.CountAsync(bed.Influx, bed.Database, "raw", manifest.End, CancellationToken.None);
        Assert.Equal(manifest.Counts["raw"], live);
        var result = await bed.Restorer.RestoreAsync(manifest.Id, swap: false, confirm: false, CancellationToken.None);
        bed.Owns(result.Database);
        Assert.True(result.Verified, string.Join("; ", result.Problems));
        Assert.True(duringBackup > counted, $"writes went on during the backup ({duringBackup} written, {counted} counted)");
    }

    [Fact]
    public async Task Swap_needs_confirmation_and_then_copies_the_backup_back_into_the_live_database()
    {
        await using var bed = await BackupTestBed.CreateAsync();
        var device = DeviceId.New().ToString();
        var t0 = DateTimeOffset.UtcNow.AddMinutes(-20).ToUnixTimeMilliseconds() * 1_000_000L;
        await bed.WriteAsync("raw", Lines(device, t0, 0, 40));
        var manifest = await bed.Service.TakeAsync(new BackupRequest(MetadataStore: false), CancellationToken.None);

        var refused = await Assert.ThrowsAsync<BackupException>(() => bed.Restorer.RestoreAsync(manifest.Id, swap: true, confirm: false, CancellationToken.None));
        Assert.Equal(BackupFailure.ConfirmationRequired, refused.Failure);

        await bed.Influx.ExecuteAsync($"DELETE FROM {InfluxQl.QuoteIdentifier(device)} WHERE device = {InfluxQl.QuoteString(device)}");
        Assert.Equal(0, await bed.CountAsync(bed.Database, "raw", "temperature"));
        var swapped = await bed.Restorer.RestoreAsync(manifest.Id, swap: true, confirm: true, CancellationToken.None);
        Assert.True(swapped.Swapped, string.Join("; ", swapped.Problems));
        Assert.Equal(40, await bed.CountAsync(bed.Database, "raw", "temperature"));
    }

    private static string Lines(string device, long t0, int from, int count)
    {
        var text = new StringBuilder();
        for (var i = from; i < from + count; i++)
        {
            text.Append(BackupTestBed.LineOf(device)).Append(" temperature=").Append(20 + (i * 0.25)).Append(",ok=").Append(i % 2 == 0 ? "true" : "false")
                .Append(",label=\"n").Append(i).Append("\" ").Append(t0 + (i * 1_000_000_000L)).Append('\n');
        }

        return text.ToString();
    }

    /// <summary>Identity's deletion records for one device (the seam's other side is identity's store).</summary>
    private sealed class DeletionRecords(DeviceId device, DateTimeOffset deletedAt) : IDeletedDevices
    {
        public bool Purged { get; private set; }

        public async IAsyncEnumerable<ExpiredDevice> ExpiredAsync(DateTimeOffset now, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await Task.Yield();
            if (!Purged && now - deletedAt > TimeSpan.FromDays(30))
            {
                yield return new ExpiredDevice(device, deletedAt);
            }
        }

        public Task MarkPurgedAsync(DeviceId purged, DateTimeOffset purgedAt, CancellationToken cancellationToken)
        {
            Purged = purged == device;
            return Task.CompletedTask;
        }
    }
}
