using Datacake.Streams.Access;
using Datacake.Streams.Api.Metadata;
using Datacake.Streams.Api.Users;
using Datacake.Streams.Ids;
using Microsoft.Extensions.Options;

namespace Datacake.Streams.Api.Access;

/// <summary>
/// <see cref="IDeviceReadAccess"/> from the metadata store: the live devices a caller's roles and listed devices
/// reach, with device and workspace names joined. For one device, the device with its workspace's ancestry and names
/// is remembered until the store next changes (<see cref="RevisionCache{TKey, TValue}"/>), so that a repeated
/// one-device query costs no store lookup; the caller's access is still decided on every request.
/// </summary>
public sealed class StoreDeviceReadAccess(CallerResolver resolver, IMetadataStore store, AccessGuard guard, TimeProvider time, IOptions<AccessOptions> options) : IDeviceReadAccess
{
    private readonly RevisionCache<DeviceId, PlacedDevice> _placed = new(time, options.Value.IdentityCacheLifetime, options.Value.IdentityCacheEntries);

    // Listings of whole workspace sets: ~100 B per device, so 64 sets of 1,000 devices stay within ~6 MiB; more
    // distinct sets between two store writes only cost the lookups they cost before.
    private readonly RevisionCache<string, IReadOnlyList<ListedDevice>> _listings = new(time, options.Value.IdentityCacheLifetime, 64);

    public async ValueTask<DeviceReadScope> ResolveAsync(HttpContext context, CancellationToken cancellationToken)
    {
        var resolution = await resolver.TryResolveAsync(context, cancellationToken);
        switch (resolution.Status)
        {
            case ReadScopeStatus.RateLimited:
                return new DeviceReadScope(ReadScopeStatus.RateLimited, retryAfter: resolution.RetryAfter);
            case ReadScopeStatus.Unauthenticated:
                return new DeviceReadScope(ReadScopeStatus.Unauthenticated);
        }

        var caller = resolution.Caller!;
        if (caller is OperatorCaller)
        {
            return new DeviceReadScope(ReadScopeStatus.Forbidden);
        }

        IReadOnlyCollection<string> roots = caller switch
        {
            UserCaller user => [.. user.Memberships.Keys],
            ScopedCaller { Token: { WorkspaceId: { } home, Role: > WorkspaceRole.None } } => [home],
            _ => [],
        };
        var readable = new List<ReadableDevice>();
        foreach (ListedDevice listed in await ListAsync(roots, cancellationToken))
        {
            if (AccessRules.AccessTo(caller, listed.Device.Id, listed.Ancestry) >= DeviceAccess.Read)
            {
                readable.Add(listed.Device);
            }
        }

        if (caller is ScopedCaller scoped)
        {
            foreach (var grant in scoped.Token.Devices)
            {
                if (readable.Any(r => r.Id == grant.Device) || await store.GetDeviceAsync(grant.Device, cancellationToken) is not { DeletedAt: null } device)
                {
                    continue;
                }

                var ancestry = await guard.AncestryAsync(device.WorkspaceId, cancellationToken);
                if (AccessRules.AccessTo(caller, device.Id, ancestry) >= DeviceAccess.Read
                    && await store.GetWorkspaceAsync(device.WorkspaceId, cancellationToken) is { } workspace)
                {
                    readable.Add(new ReadableDevice(device.Id, device.Name, workspace.Id, workspace.Name));
                }
            }
        }

        return new DeviceReadScope(ReadScopeStatus.Ok, readable);
    }

    /// <summary>
    /// The live devices of the subtrees under <paramref name="roots"/>, each with its workspace's ancestry, remembered
    /// until the store next changes: listing 1,000 devices from the store was ~10 ms of a ~25 ms InfluxQL panel query
    /// (docs/BENCHMARKS.md). Only what the store holds is kept; the caller's access is decided on every request.
    /// </summary>
    private async ValueTask<IReadOnlyList<ListedDevice>> ListAsync(IReadOnlyCollection<string> roots, CancellationToken cancellationToken)
    {
        long revision = store.Revision;
        string key = string.Join('\u0001', roots.Order(StringComparer.Ordinal));
        if (_listings.TryGet(key, revision, out IReadOnlyList<ListedDevice>? cached))
        {
            return cached;
        }

        var workspaces = (await store.ListSubtreesAsync(roots, cancellationToken)).ToDictionary(w => w.Id, StringComparer.Ordinal);
        WorkspaceRecord[] all = [.. workspaces.Values];

        // One ancestry per workspace, not per device: a workspace of 1,000 devices walked its tree 1,000 times.
        var ancestries = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        var listed = new List<ListedDevice>();
        foreach (var device in await store.ListDevicesAsync(workspaces.Keys, includeDeleted: false, cancellationToken))
        {
            var workspace = workspaces[device.WorkspaceId];
            if (!ancestries.TryGetValue(workspace.Id, out var ancestry))
            {
                ancestries[workspace.Id] = ancestry = AccessRules.Ancestry(workspace, all);
            }

            listed.Add(new ListedDevice(new ReadableDevice(device.Id, device.Name, workspace.Id, workspace.Name), ancestry));
        }

        _listings.Set(key, revision, listed);
        return listed;
    }

    /// <summary>One device: its record and its workspace's ancestry, two lookups (none when remembered) whatever the size of the workspaces.</summary>
    public async ValueTask<DeviceReadScope> ResolveDeviceAsync(HttpContext context, string deviceId, CancellationToken cancellationToken)
    {
        var resolution = await resolver.TryResolveAsync(context, cancellationToken);
        switch (resolution.Status)
        {
            case ReadScopeStatus.RateLimited:
                return new DeviceReadScope(ReadScopeStatus.RateLimited, retryAfter: resolution.RetryAfter);
            case ReadScopeStatus.Unauthenticated:
                return new DeviceReadScope(ReadScopeStatus.Unauthenticated);
        }

        var caller = resolution.Caller!;
        if (caller is OperatorCaller)
        {
            return new DeviceReadScope(ReadScopeStatus.Forbidden);
        }

        if (!DeviceId.TryParse(deviceId, out var id) || await PlaceAsync(id, cancellationToken) is not { } placed
            || AccessRules.AccessTo(caller, id, placed.Ancestry) < DeviceAccess.Read)
        {
            return new DeviceReadScope(ReadScopeStatus.Ok);
        }

        return new DeviceReadScope(ReadScopeStatus.Ok, [placed.Device]);
    }

    /// <summary>A live device with its names and its workspace's ancestry; null when unknown or deleted (never remembered).</summary>
    private async ValueTask<PlacedDevice?> PlaceAsync(DeviceId id, CancellationToken cancellationToken)
    {
        // Taken before the lookups: a write that lands while they run advances it and retires what they read.
        long revision = store.Revision;
        if (_placed.TryGet(id, revision, out PlacedDevice? placed))
        {
            return placed;
        }

        if (await store.GetDeviceAsync(id, cancellationToken) is not { DeletedAt: null } device)
        {
            return null;
        }

        var ancestry = await store.GetAncestryAsync(device.WorkspaceId, AccessGuard.MaxDepth, cancellationToken);
        if (ancestry.Count == 0)
        {
            return null;
        }

        placed = new PlacedDevice(new ReadableDevice(device.Id, device.Name, ancestry[0].Id, ancestry[0].Name), [.. ancestry.Select(w => w.Id)]);
        _placed.Set(id, revision, placed);
        return placed;
    }

    /// <summary>A live device as a reader sees it, and its workspace's ancestry (itself first).</summary>
    private sealed record ListedDevice(ReadableDevice Device, IReadOnlyList<string> Ancestry);

    /// <summary>A device as a reader sees it, and its workspace's ancestry (itself first) that access is decided on.</summary>
    private sealed record PlacedDevice(ReadableDevice Device, IReadOnlyList<string> Ancestry);
}
