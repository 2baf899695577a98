using Datacake.Streams.Files;
using Datacake.Streams.Backups;
using Datacake.Streams.Ids;
using Microsoft.Data.Sqlite;

namespace Datacake.Streams.Api.Metadata;

// What backups and the purge job need of the store: a consistent online copy, and devices past their recovery window.
public sealed partial class SqliteMetadataStore : IMetadataSnapshot
{
    /// <summary>
    /// SQLite's online backup into <paramref name="destinationPath"/>: a consistent copy while the store stays in use.
    /// The store holds token hashes only, so the copy holds no secret.
    /// </summary>
    public async Task WriteSnapshotAsync(string destinationPath, CancellationToken cancellationToken)
    {
        // SQLite would create the copy with the process umask: an empty 0600 file first (a valid empty database)
        // keeps the e-mails and token hashes owner-only from the first byte.
        await using (PrivateFile.OpenWrite(destinationPath, FileMode.Create))
        {
        }

        await using var source = await OpenConnectionAsync(cancellationToken);
        await using var destination = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = destinationPath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
        }.ToString());
        await destination.OpenAsync(cancellationToken);
        source.BackupDatabase(destination);
    }

    /// <summary>Devices deleted at or before <paramref name="deletedBefore"/> whose points were not purged yet.</summary>
    public async Task<IReadOnlyList<ExpiredDevice>> ListUnpurgedDeletionsAsync(DateTimeOffset deletedBefore, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        return await QueryAsync(
            connection,
            "SELECT id, deleted_at FROM devices WHERE deleted_at IS NOT NULL AND deleted_at <= $before AND purged_at IS NULL ORDER BY deleted_at",
            static r => new ExpiredDevice(DeviceId.Parse(r.GetString(0)), new DateTimeOffset(r.GetInt64(1), TimeSpan.Zero)),
            cancellationToken,
            ("$before", deletedBefore.UtcTicks));
    }

    public async Task MarkPurgedAsync(DeviceId device, DateTimeOffset purgedAt, CancellationToken cancellationToken)
    {
        using var write = BeginWrite();
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await ExecuteAsync(
            connection,
            "UPDATE devices SET purged_at = $at WHERE id = $id",
            cancellationToken,
            null,
            ("$at", purgedAt.UtcTicks),
            ("$id", device.ToString()));
    }
}
