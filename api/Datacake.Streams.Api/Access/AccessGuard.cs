using Datacake.Streams.Access;
using Datacake.Streams.Api.Metadata;
using Datacake.Streams.Ids;

namespace Datacake.Streams.Api.Access;

/// <summary>A workspace the caller reaches, its ancestry (itself first) and the caller's role there.</summary>
public sealed record WorkspaceInReach(WorkspaceRecord Workspace, IReadOnlyList<string> Ancestry, WorkspaceRole Role);

/// <summary>A device the caller reaches, with the caller's role in its workspace and access to it.</summary>
public sealed record DeviceInReach(DeviceRecord Device, IReadOnlyList<string> Ancestry, WorkspaceRole Role, DeviceAccess Access);

/// <summary>A JavaScript decoder the caller reaches, its workspace's ancestry and the caller's role there.</summary>
public sealed record DecoderInReach(DecoderRecord Decoder, IReadOnlyList<string> Ancestry, WorkspaceRole Role);

/// <summary>
/// Loads what a request names and checks the caller may reach it. Something out of reach answers exactly as something
/// that does not exist (404), so ids of other workspaces cannot be probed; something in reach that needs a higher
/// role answers 403. The operator gets 403 on all of it.
/// </summary>
public sealed class AccessGuard(IMetadataStore store)
{
    /// <summary>Workspace trees are at most this deep, as the registry view assumes.</summary>
    public const int MaxDepth = 32;

    public async Task<WorkspaceInReach> WorkspaceAsync(Caller caller, string id, WorkspaceRole minimum, CancellationToken cancellationToken)
    {
        RefuseOperator(caller);
        var workspace = await store.GetWorkspaceAsync(id, cancellationToken) ?? throw ApiProblem.NotFound("workspace");
        var ancestry = await AncestryAsync(workspace.Id, cancellationToken);
        var role = AccessRules.RoleIn(caller, ancestry);
        if (role == WorkspaceRole.None)
        {
            throw ApiProblem.NotFound("workspace");
        }

        if (role < minimum)
        {
            throw ApiProblem.Forbidden($"This needs the {minimum.ToString().ToLowerInvariant()} role or higher in the workspace.");
        }

        return new WorkspaceInReach(workspace, ancestry, role);
    }

    /// <summary>A device the caller may at least read. Deleted devices are found only with <paramref name="includeDeleted"/>.</summary>
    public async Task<DeviceInReach> DeviceAsync(Caller caller, string id, bool includeDeleted, CancellationToken cancellationToken)
    {
        RefuseOperator(caller);
        if (!DeviceId.TryParse(id, out var deviceId))
        {
            throw ApiProblem.NotFound("device");
        }

        var device = await store.GetDeviceAsync(deviceId, cancellationToken);
        if (device is null || (device.DeletedAt is not null && !includeDeleted))
        {
            throw ApiProblem.NotFound("device");
        }

        var ancestry = await AncestryAsync(device.WorkspaceId, cancellationToken);
        var access = AccessRules.AccessTo(caller, device.Id, ancestry);
        if (access == DeviceAccess.None)
        {
            throw ApiProblem.NotFound("device");
        }

        return new DeviceInReach(device, ancestry, AccessRules.RoleIn(caller, ancestry), access);
    }

    /// <summary>A decoder the caller may at least read (a member of its workspace or an ancestor; a device-only token reads none).</summary>
    public async Task<DecoderInReach> DecoderAsync(Caller caller, string id, CancellationToken cancellationToken)
    {
        RefuseOperator(caller);
        var decoder = await store.GetDecoderAsync(id, cancellationToken) ?? throw ApiProblem.NotFound("decoder");
        var ancestry = await AncestryAsync(decoder.WorkspaceId, cancellationToken);
        var role = AccessRules.RoleIn(caller, ancestry);
        if (role < AccessRules.Read)
        {
            throw ApiProblem.NotFound("decoder");
        }

        return new DecoderInReach(decoder, ancestry, role);
    }

    /// <summary>For a device the caller reaches: refuses unless the caller's workspace role is at least <paramref name="minimum"/>.</summary>
    public static void RequireRole(WorkspaceRole held, WorkspaceRole minimum)
    {
        if (held < minimum)
        {
            throw ApiProblem.Forbidden($"This needs the {minimum.ToString().ToLowerInvariant()} role or higher in the workspace.");
        }
    }

    public static void RefuseOperator(Caller caller)
    {
        if (caller is OperatorCaller)
        {
            throw ApiProblem.OperatorForbidden();
        }
    }

    public async Task<IReadOnlyList<string>> AncestryAsync(string workspaceId, CancellationToken cancellationToken) =>
        [.. (await store.GetAncestryAsync(workspaceId, MaxDepth, cancellationToken)).Select(w => w.Id)];
}
