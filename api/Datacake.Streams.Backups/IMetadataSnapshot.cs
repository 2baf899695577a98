namespace Datacake.Streams.Backups;

/// <summary>
/// The seam to the metadata store: writes a consistent copy of it to a file while it stays in use (SQLite online
/// backup, <c>SqliteConnection.BackupDatabase</c>). The store holds only token hashes, so the copy holds no secret.
/// </summary>
public interface IMetadataSnapshot
{
    /// <summary>The store's file name, in the data folder and in a backup's <c>metadata/</c> folder.</summary>
    const string FileName = "metadata.db";

    Task WriteSnapshotAsync(string destinationPath, CancellationToken cancellationToken);
}
