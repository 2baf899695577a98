using System.Runtime.CompilerServices;
using Datacake.Streams.Backups;
using Datacake.Streams.Api.Metadata;
using Datacake.Streams.Ids;
using Microsoft.Extensions.Options;

namespace Datacake.Streams.Api.Access;

/// <summary>
/// <see cref="IDeletedDevices"/> from the metadata store: a device deleted longer ago than
/// <see cref="AccessOptions.DeviceRecoveryWindow"/> can no longer be restored, so its points may be dropped.
/// </summary>
internal sealed class StoreDeletedDevices(SqliteMetadataStore store, IOptions<AccessOptions> options) : IDeletedDevices
{
    public async IAsyncEnumerable<ExpiredDevice> ExpiredAsync(DateTimeOffset now, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        foreach (var device in await store.ListUnpurgedDeletionsAsync(now - options.Value.DeviceRecoveryWindow, cancellationToken))
        {
            yield return device;
        }
    }

    public Task MarkPurgedAsync(DeviceId device, DateTimeOffset purgedAt, CancellationToken cancellationToken) =>
        store.MarkPurgedAsync(device, purgedAt, cancellationToken);
}
