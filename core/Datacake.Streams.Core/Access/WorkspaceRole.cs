namespace Datacake.Streams.Access;

/// <summary>
/// A member's role in a workspace, held also in every sub-workspace. Ordered: a higher role can do all a lower one can.
/// Viewers read device data; editors and above also write it (and manage devices); admins manage members and tokens.
/// </summary>
public enum WorkspaceRole
{
    None = 0,
    Viewer = 1,
    Editor = 2,
    Admin = 3,
    Owner = 4,
}
