namespace Datacake.Streams.Api.Backups;

/// <summary>
/// The seam to the metadata store: writes a consistent copy of it to a file while it stays in use (SQLite online
/// backup, <c>SqliteConnection.BackupDatabase</c>). The store holds only token hashes, so the copy holds no secret.
/// </summary>
public interface IMetadataSnapshot
{
    Task WriteSnapshotAsync(string destinationPath, CancellationToken cancellationToken);
}
