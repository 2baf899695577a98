using Datacake.Streams.Access;

namespace Datacake.Streams.Api.Access;

/// <summary>The JSON spelling of roles and device access: "viewer", "editor", "admin", "owner"; "read", "read-write".</summary>
public static class RoleNames
{
    public static string Of(WorkspaceRole role) => role switch
    {
        WorkspaceRole.Viewer => "viewer",
        WorkspaceRole.Editor => "editor",
        WorkspaceRole.Admin => "admin",
        WorkspaceRole.Owner => "owner",
        _ => "none",
    };

    public static string? OrNull(WorkspaceRole role) => role == WorkspaceRole.None ? null : Of(role);

    public static WorkspaceRole ParseRole(string? text, bool required) => text?.ToLowerInvariant() switch
    {
        null or "" or "none" when !required => WorkspaceRole.None,
        "viewer" => WorkspaceRole.Viewer,
        "editor" => WorkspaceRole.Editor,
        "admin" => WorkspaceRole.Admin,
        "owner" => WorkspaceRole.Owner,
        _ => throw ApiProblem.Invalid("role must be one of viewer, editor, admin, owner."),
    };

    public static string Of(DeviceAccess access) => access == DeviceAccess.ReadWrite ? "read-write" : "read";

    public static DeviceAccess ParseAccess(string? text) => text?.ToLowerInvariant() switch
    {
        "read" => DeviceAccess.Read,
        "read-write" or "readwrite" => DeviceAccess.ReadWrite,
        _ => throw ApiProblem.Invalid("access must be \"read\" or \"read-write\"."),
    };
}
