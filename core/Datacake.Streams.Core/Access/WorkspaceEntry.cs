namespace Datacake.Streams.Access;

/// <summary>
/// A workspace's place in the tree: roles held in a workspace reach all of its sub-workspaces. <paramref name="Quota"/>
/// is the operator's ingest ceiling for it and the sub-workspaces that have none of their own; null = the default.
/// </summary>
public sealed record WorkspaceEntry(string Id, string? ParentId, IngestQuota? Quota = null);
