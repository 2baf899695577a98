using Datacake.Streams.Api.Access;
using Datacake.Streams.Api.Metadata;
using AccessProblem = Datacake.Streams.Api.Access.ApiProblem;

namespace Datacake.Streams.Api.Export;

/// <summary><see cref="IWorkspaceExportAccess"/> from the metadata store: the admin role (or owner) in the workspace, its subtree's live devices.</summary>
public sealed class StoreWorkspaceExportAccess(CallerResolver resolver, AccessGuard guard, IMetadataStore store) : IWorkspaceExportAccess
{
    public async ValueTask<ExportScope> ResolveAsync(HttpContext context, string workspaceId, CancellationToken cancellationToken)
    {
        CallerResolution resolution = await resolver.TryResolveAsync(context, cancellationToken);
        switch (resolution.Status)
        {
            case ReadScopeStatus.RateLimited:
                return new ExportScope(ExportScopeStatus.RateLimited, RetryAfter: resolution.RetryAfter);
            case ReadScopeStatus.Unauthenticated:
                return new ExportScope(ExportScopeStatus.Unauthenticated);
        }

        Caller caller = resolution.Caller!;
        if (caller is OperatorCaller)
        {
            return new ExportScope(ExportScopeStatus.Forbidden, Detail: "The operator token reads no workspace data.");
        }

        WorkspaceInReach reach;
        try
        {
            reach = await guard.WorkspaceAsync(caller, workspaceId, AccessRules.Administer, cancellationToken);
        }
        catch (AccessProblem problem) when (problem.Status == StatusCodes.Status404NotFound)
        {
            return new ExportScope(ExportScopeStatus.NotFound);
        }
        catch (AccessProblem problem) when (problem.Status == StatusCodes.Status403Forbidden)
        {
            return new ExportScope(ExportScopeStatus.Forbidden, Detail: "Exporting a workspace needs the admin or owner role in it.");
        }

        var workspaces = (await store.ListSubtreesAsync([reach.Workspace.Id], cancellationToken)).ToDictionary(w => w.Id, StringComparer.Ordinal);
        var devices = (await store.ListDevicesAsync(workspaces.Keys, includeDeleted: false, cancellationToken))
            .Where(d => d.DeletedAt is null && workspaces.ContainsKey(d.WorkspaceId))
            .Select(d => new ReadableDevice(d.Id, d.Name, d.WorkspaceId, workspaces[d.WorkspaceId].Name))
            .ToList();
        return new ExportScope(ExportScopeStatus.Ok, reach.Workspace.Id, reach.Workspace.Name, devices);
    }
}
