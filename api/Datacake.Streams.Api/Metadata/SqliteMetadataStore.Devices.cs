using System.Data.Common;
using Datacake.Streams.Access;
using Datacake.Streams.Ids;

namespace Datacake.Streams.Api.Metadata;

// Devices and the confirmations their deletion needs.
public sealed partial class SqliteMetadataStore
{
    private const string DeviceColumns = "id, workspace_id, name, dev_eui, serial, particle_id, decoder, created_at, deleted_at";

    public async Task CreateDeviceAsync(DeviceRecord device, CancellationToken cancellationToken)
    {
        using var write = BeginWrite();
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await ExecuteAsync(
            connection,
            $"INSERT INTO devices ({DeviceColumns}) VALUES ($id, $w, $name, $eui, $serial, $particle, $decoder, $at, $deleted)",
            cancellationToken,
            null,
            DeviceParameters(device));
    }

    public async Task<DeviceRecord?> GetDeviceAsync(DeviceId id, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        var rows = await QueryAsync(connection, $"SELECT {DeviceColumns} FROM devices WHERE id = $id", ReadDevice, cancellationToken, ("$id", id.ToString()));
        return rows.FirstOrDefault();
    }

    public async Task<IReadOnlyList<DeviceRecord>> ListDevicesAsync(IReadOnlyCollection<string> workspaceIds, bool includeDeleted, CancellationToken cancellationToken)
    {
        if (workspaceIds.Count == 0)
        {
            return [];
        }

        await using var connection = await OpenConnectionAsync(cancellationToken);
        var (list, parameters) = InList(workspaceIds);
        var deleted = includeDeleted ? string.Empty : " AND deleted_at IS NULL";
        return await QueryAsync(
            connection,
            $"SELECT {DeviceColumns} FROM devices WHERE workspace_id IN ({list}){deleted} ORDER BY created_at, id",
            ReadDevice,
            cancellationToken,
            parameters);
    }

    public async Task UpdateDeviceAsync(DeviceRecord device, CancellationToken cancellationToken)
    {
        using var write = BeginWrite();
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await ExecuteAsync(
            connection,
            """
            UPDATE devices SET workspace_id = $w, name = $name, dev_eui = $eui, serial = $serial, particle_id = $particle,
                decoder = $decoder, created_at = $at, deleted_at = $deleted WHERE id = $id
            """,
            cancellationToken,
            null,
            DeviceParameters(device));
    }

    public async Task SaveConfirmationAsync(DeletionConfirmation confirmation, CancellationToken cancellationToken)
    {
        using var write = BeginWrite();
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await ExecuteAsync(
            connection,
            "INSERT INTO deletion_confirmations (code_hash, device_id, expires_at) VALUES ($h, $d, $e)",
            cancellationToken,
            null,
            ("$h", confirmation.CodeHash.ToBytes()),
            ("$d", confirmation.Device.ToString()),
            ("$e", Ticks(confirmation.ExpiresAt)));
    }

    public async Task<bool> TakeConfirmationAsync(TokenHash codeHash, DeviceId device, DateTimeOffset at, CancellationToken cancellationToken)
    {
        using var write = BeginWrite();
        await using var connection = await OpenConnectionAsync(cancellationToken);

        // Expired codes go with every take, so the table holds only codes that can still be used.
        await ExecuteAsync(connection, "DELETE FROM deletion_confirmations WHERE expires_at <= $now", cancellationToken, null, ("$now", Ticks(at)));
        return await ExecuteAsync(
            connection,
            "DELETE FROM deletion_confirmations WHERE code_hash = $h AND device_id = $d",
            cancellationToken,
            null,
            ("$h", codeHash.ToBytes()),
            ("$d", device.ToString())) == 1;
    }

    private static (string, object?)[] DeviceParameters(DeviceRecord device) =>
    [
        ("$id", device.Id.ToString()),
        ("$w", device.WorkspaceId),
        ("$name", device.Name),
        ("$eui", device.DevEui is { } eui ? unchecked((long)eui.Value) : null),
        ("$serial", device.Serial),
        ("$particle", device.ParticleId),
        ("$decoder", device.Decoder),
        ("$at", Ticks(device.CreatedAt)),
        ("$deleted", Ticks(device.DeletedAt)),
    ];

    private static DeviceRecord ReadDevice(DbDataReader r) => new(
        DeviceId.Parse(r.GetString(0)),
        r.GetString(1),
        r.GetString(2),
        r.IsDBNull(3) ? null : new DevEui(unchecked((ulong)r.GetInt64(3))),
        TextOrNull(r, 4),
        TextOrNull(r, 5),
        TextOrNull(r, 6),
        Time(r, 7),
        TimeOrNull(r, 8));
}
