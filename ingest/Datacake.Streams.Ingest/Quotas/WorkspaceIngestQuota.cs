using System.Collections.Concurrent;
using Datacake.Streams.Access;
using Datacake.Streams.EdgeAuth;
using Datacake.Streams.Ids;
using Microsoft.Extensions.Options;

namespace Datacake.Streams.Ingest.Quotas;

/// <summary>
/// The ingest quota of every workspace on this node: a <see cref="TokenBucket"/> of points per workspace, asked by HTTP
/// ingest, webhooks and the MQTT broker after a message was authorized and checked and before it is appended, so a
/// refused message stores nothing and an accepted one is never dropped for the quota.
/// </summary>
/// <remarks>
/// <para>Keyed by the workspace of the device written, from the registry view (never by a token or an address: a
/// workspace token, a device token and a webhook of one workspace share its quota, and no other workspace's traffic
/// spends it). The bucket belongs to the nearest workspace up the tree that has an operator's quota, else to the root
/// with the default: sub-workspaces share their tenant's quota, so making sub-workspaces does not multiply it, and an
/// operator can still give one sub-workspace a quota of its own.</para>
/// <para>Hot path: a device lookup, one workspace lookup per level (one or two in practice), one bucket lookup and a
/// short lock, all on existing objects: no allocation per message once a workspace's bucket exists. The lock is per
/// workspace, so tenants never contend with each other.</para>
/// <para>Per node: N ingest nodes admit up to N times the quota in total (each counts what it receives).</para>
/// </remarks>
public sealed class WorkspaceIngestQuota
{
    private readonly ConcurrentDictionary<string, TokenBucket> _buckets = new(StringComparer.Ordinal);
    private readonly RegistryView _registry;
    private readonly TimeProvider _time;
    private readonly IngestQuota _default;

    public WorkspaceIngestQuota(RegistryView registry, TimeProvider time, IOptions<IngestQuotaOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _registry = registry ?? throw new ArgumentNullException(nameof(registry));
        _time = time ?? throw new ArgumentNullException(nameof(time));
        _default = options.Value.ToQuota();
    }

    /// <summary>Workspaces with a bucket on this node.</summary>
    public int TrackedWorkspaces => _buckets.Count;

    /// <summary>
    /// Takes <paramref name="points"/> (at least one) from the quota of <paramref name="device"/>'s workspace. False,
    /// with <paramref name="retryAfter"/> (whole seconds, at least 1), when the workspace is over its quota: refuse the
    /// message without appending it. A device the view does not know is admitted: the caller's scope check, which runs
    /// first, has already refused it.
    /// </summary>
    public bool TryAdmit(DeviceId device, int points, out TimeSpan retryAfter)
    {
        retryAfter = TimeSpan.Zero;
        if (!_registry.TryGetDevice(device, out var entry))
        {
            return true;
        }

        var (owner, quota) = Owner(entry!.WorkspaceId);
        if (!_buckets.TryGetValue(owner, out var bucket))
        {
            bucket = _buckets.GetOrAdd(owner, static (_, state) => new TokenBucket(state.Burst, state.Time.GetTimestamp()), (quota.Burst, Time: _time));
        }

        lock (bucket)
        {
            return bucket.TrySpend(_time, quota.PointsPerSecond, quota.Burst, Math.Max(1, points), out retryAfter);
        }
    }

    /// <summary>The workspace whose bucket <paramref name="workspaceId"/> spends, and its quota.</summary>
    private (string Owner, IngestQuota Quota) Owner(string workspaceId)
    {
        var id = workspaceId;

        // The depth bound also ends the walk should the view ever hold a parent cycle.
        for (var depth = 0; depth < RegistryView.MaxWorkspaceDepth; depth++)
        {
            if (!_registry.TryGetWorkspace(id, out var workspace))
            {
                break;
            }

            if (workspace!.Quota is { } quota)
            {
                return (workspace.Id, quota);
            }

            if (workspace.ParentId is not { } parent)
            {
                break;
            }

            id = parent;
        }

        return (id, _default);
    }
}
