using Datacake.Streams.Ids;

namespace Datacake.Streams.Backups;

/// <summary>
/// The seam to identity's deletion records: devices deleted longer ago than the recovery window whose points are
/// still in InfluxDB. After <see cref="MarkPurgedAsync"/> a device is not returned again.
/// </summary>
public interface IDeletedDevices
{
    IAsyncEnumerable<ExpiredDevice> ExpiredAsync(DateTimeOffset now, CancellationToken cancellationToken);

    Task MarkPurgedAsync(DeviceId device, DateTimeOffset purgedAt, CancellationToken cancellationToken);
}

public readonly record struct ExpiredDevice(DeviceId Device, DateTimeOffset DeletedAt);
