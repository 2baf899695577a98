using System.Security.Cryptography;
using Datacake.Streams.Access;
using Datacake.Streams.Api.Access;
using Datacake.Streams.Api.Devices;
using Datacake.Streams.Api.Metadata;
using Datacake.Streams.Ids;
using Datacake.Streams.UnitTests.Core.Access;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Datacake.Streams.TestSupport;

namespace Datacake.Streams.UnitTests.Api.Access;

/// <summary>The deletion rules against a real SQLite store, with time under the test's control.</summary>
public sealed class DeviceDeletionTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("dcs-deletion-").FullName;
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 29, 6, 0, 0, TimeSpan.Zero));
    private readonly RegistrySecretSealer _sealer = new(RandomNumberGenerator.GetBytes(32));

    public void Dispose()
    {
        _sealer.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task Without_a_valid_code_nothing_changes_and_a_fresh_code_is_handed_out()
    {
        var (store, deletion, device) = await SetUpAsync();

        var first = await Assert.ThrowsAsync<ApiProblem>(() => deletion.DeleteAsync(device, null, CancellationToken.None));
        Assert.Equal(409, first.Status);
        Assert.Null((await store.GetDeviceAsync(device.Id, CancellationToken.None))!.DeletedAt);

        var wrong = await Assert.ThrowsAsync<ApiProblem>(() => deletion.DeleteAsync(device, "not-the-code", CancellationToken.None));
        Assert.EndsWith("deletion-confirmation-invalid", wrong.Type, StringComparison.Ordinal);
        Assert.NotEqual(first.Extensions!["confirm"], wrong.Extensions!["confirm"]);
        Assert.Null((await store.GetDeviceAsync(device.Id, CancellationToken.None))!.DeletedAt);
    }

    [Fact]
    public async Task A_code_expires_after_its_lifetime()
    {
        var (store, deletion, device) = await SetUpAsync();
        var code = (string)(await Assert.ThrowsAsync<ApiProblem>(() => deletion.DeleteAsync(device, null, CancellationToken.None))).Extensions!["confirm"]!;

        _time.Advance(TimeSpan.FromMinutes(10));
        await Assert.ThrowsAsync<ApiProblem>(() => deletion.DeleteAsync(device, code, CancellationToken.None));
        Assert.Null((await store.GetDeviceAsync(device.Id, CancellationToken.None))!.DeletedAt);
    }

    [Fact]
    public async Task A_device_restores_within_the_recovery_window_and_not_after()
    {
        var (store, deletion, device) = await SetUpAsync();

        var deleted = await DeleteAsync(deletion, device);
        Assert.Equal(_time.GetUtcNow(), deleted.DeletedAt);
        Assert.Equal(_time.GetUtcNow(), (await store.GetDeviceAsync(device.Id, CancellationToken.None))!.DeletedAt);

        _time.Advance(TimeSpan.FromDays(30));
        var restored = await deletion.RestoreAsync(deleted, CancellationToken.None);
        Assert.Null(restored.DeletedAt);
        Assert.Null((await store.GetDeviceAsync(device.Id, CancellationToken.None))!.DeletedAt);

        var again = await DeleteAsync(deletion, restored);
        _time.Advance(TimeSpan.FromDays(30) + TimeSpan.FromSeconds(1));
        var refused = await Assert.ThrowsAsync<ApiProblem>(() => deletion.RestoreAsync(again, CancellationToken.None));
        Assert.Equal(410, refused.Status);
        Assert.NotNull((await store.GetDeviceAsync(device.Id, CancellationToken.None))!.DeletedAt);
    }

    [Fact]
    public async Task A_live_device_cannot_be_restored()
    {
        var (_, deletion, device) = await SetUpAsync();
        var refused = await Assert.ThrowsAsync<ApiProblem>(() => deletion.RestoreAsync(device, CancellationToken.None));
        Assert.Equal(409, refused.Status);
    }

    private async Task<DeviceRecord> DeleteAsync(DeviceDeletion deletion, DeviceRecord device)
    {
        var warning = await Assert.ThrowsAsync<ApiProblem>(() => deletion.DeleteAsync(device, null, CancellationToken.None));
        return await deletion.DeleteAsync(device, (string)warning.Extensions!["confirm"]!, CancellationToken.None);
    }

    private async Task<(SqliteMetadataStore Store, DeviceDeletion Deletion, DeviceRecord Device)> SetUpAsync()
    {
        var store = await SqliteMetadataStore.OpenAsync(_directory);
        var workspace = new WorkspaceRecord("ws_1", "Plant", null, _time.GetUtcNow());
        await store.CreateWorkspaceAsync(workspace, null, CancellationToken.None);
        var device = new DeviceRecord(DeviceId.New(), workspace.Id, "Boiler", null, null, null, null, _time.GetUtcNow(), null);
        await store.CreateDeviceAsync(device, CancellationToken.None);
        var mirror = new RegistryMirror(new RegistryPublisher(new InMemoryRecordLog(4), TestRegistry.Codec(_sealer)), _sealer);
        return (store, new DeviceDeletion(store, mirror, _time, Options.Create(new AccessOptions())), device);
    }
}
