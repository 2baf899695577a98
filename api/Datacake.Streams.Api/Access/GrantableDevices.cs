using Datacake.Streams.Access;
using Datacake.Streams.Api.Metadata;
using Datacake.Streams.Ids;
using Datacake.Streams.Problems;

namespace Datacake.Streams.Api.Access;

/// <summary>
/// Checks devices a request body names for a new token or webhook: each must be a live device of the workspace (or
/// below it), and the caller must hold at least the access being handed out. A device of another workspace is
/// refused with the same answer as one that does not exist.
/// </summary>
public sealed class GrantableDevices(IMetadataStore store, AccessGuard guard)
{
    public const int MaxDevices = 1000;

    public async Task<IReadOnlyList<DeviceGrant>> CheckAsync(
        Caller caller, WorkspaceInReach workspace, IEnumerable<(string? Id, DeviceAccess Access)> requested, CancellationToken cancellationToken)
    {
        var grants = new List<DeviceGrant>();
        foreach (var (text, access) in requested)
        {
            if (grants.Count == MaxDevices)
            {
                throw ApiProblem.Invalid($"At most {MaxDevices} devices.");
            }

            var device = DeviceId.TryParse(text, out var id) ? await store.GetDeviceAsync(id, cancellationToken) : null;
            if (device is null || device.DeletedAt is not null)
            {
                throw NotInWorkspace();
            }

            var ancestry = await guard.AncestryAsync(device.WorkspaceId, cancellationToken);
            if (!ancestry.Contains(workspace.Workspace.Id, StringComparer.Ordinal))
            {
                throw NotInWorkspace();
            }

            if (!AccessRules.MayGrant(AccessRules.AccessTo(caller, device.Id, ancestry), access))
            {
                throw ApiProblem.Forbidden("A token never grants more than its creator holds.");
            }

            grants.Add(new DeviceGrant(device.Id, access));
        }

        return grants;
    }

    private static ApiProblem NotInWorkspace() =>
        new(StatusCodes.Status400BadRequest, ProblemTypes.DeviceNotInWorkspace, "Unknown device", "Every device must be a device of this workspace or one below it.");
}
