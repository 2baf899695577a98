using Datacake.Streams.Access;
using Datacake.Streams.Api.Metadata;

namespace Datacake.Streams.Api.Access;

/// <summary>
/// The role and scope rules, free of I/O so they can be tested alone. A role held in a workspace holds in all of its
/// sub-workspaces; a scoped token's listed devices count only inside its own workspace subtree; nobody grants more
/// than they hold.
/// </summary>
public static class AccessRules
{
    /// <summary>Read workspace data: devices, members, the workspace itself.</summary>
    public const WorkspaceRole Read = WorkspaceRole.Viewer;

    /// <summary>Create, change, delete and restore devices; save decoders.</summary>
    public const WorkspaceRole ManageDevices = WorkspaceRole.Editor;

    /// <summary>Invite and remove members; create and manage tokens and webhooks; make sub-workspaces.</summary>
    public const WorkspaceRole Administer = WorkspaceRole.Admin;

    /// <summary>The caller's role in the workspace whose ancestry (itself first, then its parent, ...) is given.</summary>
    public static WorkspaceRole RoleIn(Caller caller, IReadOnlyList<string> ancestry)
    {
        switch (caller)
        {
            case UserCaller user:
                var best = WorkspaceRole.None;
                foreach (var id in ancestry)
                {
                    if (user.Memberships.TryGetValue(id, out var role) && role > best)
                    {
                        best = role;
                    }
                }

                return best;
            case ScopedCaller { Token: { WorkspaceId: { } home, Role: > WorkspaceRole.None } token } when ancestry.Contains(home, StringComparer.Ordinal):
                return token.Role;
            default:
                return WorkspaceRole.None;
        }
    }

    /// <summary>What the caller may do with a device in the workspace with <paramref name="ancestry"/>: by role, or as listed in a scoped token.</summary>
    public static DeviceAccess AccessTo(Caller caller, Datacake.Streams.Ids.DeviceId device, IReadOnlyList<string> ancestry)
    {
        var byRole = ForRole(RoleIn(caller, ancestry));
        if (caller is ScopedCaller { Token: { WorkspaceId: { } home } token } && ancestry.Contains(home, StringComparer.Ordinal))
        {
            var listed = token.Devices.FirstOrDefault(d => d.Device == device).Access;
            return listed > byRole ? listed : byRole;
        }

        return byRole;
    }

    /// <summary>Viewers read; editors and above read and write.</summary>
    public static DeviceAccess ForRole(WorkspaceRole role) => role switch
    {
        >= WorkspaceRole.Editor => DeviceAccess.ReadWrite,
        WorkspaceRole.Viewer => DeviceAccess.Read,
        _ => DeviceAccess.None,
    };

    /// <summary>Whether someone holding <paramref name="held"/> may hand out <paramref name="granted"/>.</summary>
    public static bool MayGrant(WorkspaceRole held, WorkspaceRole granted) => granted <= held;

    /// <summary>Whether someone holding <paramref name="held"/> on a device may hand out <paramref name="granted"/> on it.</summary>
    public static bool MayGrant(DeviceAccess held, DeviceAccess granted) => granted <= held;

    /// <summary>
    /// Whether a member holding <paramref name="held"/> may remove a member holding <paramref name="target"/>:
    /// admins and owners remove members up to their own role.
    /// </summary>
    public static bool MayRemove(WorkspaceRole held, WorkspaceRole target) => held >= Administer && target <= held;

    /// <summary>Whether a stored token is good at <paramref name="at"/> when presented with <paramref name="presented"/>.</summary>
    public static AuthenticationResult Status(TokenRecord token, TokenHash presented, DateTimeOffset at) => token.ToGrant().StatusAt(presented, at);

    /// <summary>A listed workspace's ancestry within the listing (which holds every membership's subtree, so every ancestor that matters).</summary>
    public static IReadOnlyList<string> Ancestry(WorkspaceRecord workspace, IReadOnlyList<WorkspaceRecord> listed)
    {
        var byId = listed.ToDictionary(w => w.Id, StringComparer.Ordinal);
        var chain = new List<string>();
        var current = workspace;
        while (current is not null && chain.Count <= AccessGuard.MaxDepth)
        {
            chain.Add(current.Id);
            current = current.ParentId is { } parent && byId.TryGetValue(parent, out var next) ? next : null;
        }

        return chain;
    }
}
