using Datacake.Streams.Api.Access;
using Datacake.Streams.Api.Metadata;
using Datacake.Streams.Ids;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace Datacake.Streams.UnitTests.Api.Access;

/// <summary>What backups and the purge job take from the real SQLite store: expired deletions and an online copy.</summary>
public sealed class StoreLifecycleTests : IDisposable
{
    private static readonly DateTimeOffset Deleted = new(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly string _directory = Directory.CreateTempSubdirectory("dcs-lifecycle-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task A_deleted_device_expires_after_the_recovery_window_and_once_purged_is_not_listed_again()
    {
        var store = await SqliteMetadataStore.OpenAsync(_directory);
        var workspace = new WorkspaceRecord("ws_1", "Plant", null, Deleted.AddDays(-10));
        await store.CreateWorkspaceAsync(workspace, null, CancellationToken.None);
        var gone = new DeviceRecord(DeviceId.New(), workspace.Id, "Boiler", null, null, null, null, Deleted.AddDays(-10), null);
        var kept = gone with { Id = DeviceId.New(), Name = "Fridge" };
        await store.CreateDeviceAsync(gone, CancellationToken.None);
        await store.CreateDeviceAsync(kept, CancellationToken.None);
        await store.UpdateDeviceAsync(gone with { DeletedAt = Deleted }, CancellationToken.None);

        var expired = new StoreDeletedDevices(store, Options.Create(new AccessOptions { DeviceRecoveryWindow = TimeSpan.FromDays(30) }));
        Assert.Empty(await ListAsync(expired, Deleted.AddDays(30).AddSeconds(-1), CancellationToken.None));
        var due = Assert.Single(await ListAsync(expired, Deleted.AddDays(30), CancellationToken.None));
        Assert.Equal(gone.Id, due.Device);
        Assert.Equal(Deleted, due.DeletedAt);

        await expired.MarkPurgedAsync(gone.Id, Deleted.AddDays(31), CancellationToken.None);
        Assert.Empty(await ListAsync(expired, Deleted.AddDays(60), CancellationToken.None));
    }

    private static async Task<List<Datacake.Streams.Backups.ExpiredDevice>> ListAsync(StoreDeletedDevices source, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var list = new List<Datacake.Streams.Backups.ExpiredDevice>();
        await foreach (var device in source.ExpiredAsync(now, cancellationToken))
        {
            list.Add(device);
        }

        return list;
    }

    [Fact]
    public async Task The_online_snapshot_is_a_readable_copy_of_the_store()
    {
        var store = await SqliteMetadataStore.OpenAsync(_directory);
        await store.CreateWorkspaceAsync(new WorkspaceRecord("ws_snap", "Snapshot plant", null, Deleted), null, CancellationToken.None);
        var copy = Path.Combine(_directory, "copy.db");

        await store.WriteSnapshotAsync(copy, CancellationToken.None);

        await using var connection = new SqliteConnection($"Data Source={copy};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT name FROM workspaces WHERE id = 'ws_snap'";
        Assert.Equal("Snapshot plant", await command.ExecuteScalarAsync());
    }
}
