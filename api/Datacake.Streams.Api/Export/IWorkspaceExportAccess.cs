using Datacake.Streams.Api.Access;

namespace Datacake.Streams.Api.Export;

/// <summary>How resolving an export's caller and workspace turned out.</summary>
public enum ExportScopeStatus
{
    Ok,

    /// <summary>No valid token: 401.</summary>
    Unauthenticated,

    /// <summary>The operator, or a member below admin: 403.</summary>
    Forbidden,

    /// <summary>No such workspace, or not the caller's: 404 alike.</summary>
    NotFound,

    /// <summary>Too many failed authentications from this client: 429.</summary>
    RateLimited,
}

/// <summary>
/// What one export may contain: the workspace, its sub-workspaces, and their live devices with names. Deleted devices
/// are never in it (their data stays hidden until restored or purged, as for every read).
/// </summary>
public sealed record ExportScope(
    ExportScopeStatus Status,
    string? WorkspaceId = null,
    string? WorkspaceName = null,
    IReadOnlyList<ReadableDevice>? Devices = null,
    TimeSpan? RetryAfter = null,
    string? Detail = null);

/// <summary>
/// The seam between the export endpoint and identity: an owner's or admin's token of the workspace (or of an ancestor)
/// exports it; nobody else does, the operator included.
/// </summary>
public interface IWorkspaceExportAccess
{
    ValueTask<ExportScope> ResolveAsync(HttpContext context, string workspaceId, CancellationToken cancellationToken);
}
