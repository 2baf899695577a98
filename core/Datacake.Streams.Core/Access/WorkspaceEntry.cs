namespace Datacake.Streams.Access;

/// <summary>A workspace's place in the tree: roles held in a workspace reach all of its sub-workspaces.</summary>
public sealed record WorkspaceEntry(string Id, string? ParentId);
