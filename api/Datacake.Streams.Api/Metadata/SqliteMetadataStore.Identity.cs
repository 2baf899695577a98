using System.Data.Common;
using Datacake.Streams.Access;
using Microsoft.Data.Sqlite;

namespace Datacake.Streams.Api.Metadata;

// Users, workspaces and memberships (invitations: SqliteMetadataStore.Invitations.cs).
public sealed partial class SqliteMetadataStore
{
    private const string WorkspaceColumns = "id, name, parent_id, created_at";

    public async Task CreateUserAsync(UserRecord user, TokenRecord token, CancellationToken cancellationToken)
    {
        using var write = BeginWrite();
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        await ExecuteAsync(
            connection,
            "INSERT INTO users (id, email, created_at) VALUES ($id, $email, $at)",
            cancellationToken,
            transaction,
            ("$id", user.Id),
            ("$email", user.Email),
            ("$at", Ticks(user.CreatedAt)));
        await InsertTokenAsync(connection, transaction, token, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    public async Task<UserRecord?> GetUserAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        var rows = await QueryAsync(
            connection,
            "SELECT id, email, created_at, disabled_at FROM users WHERE id = $id",
            static r => new UserRecord(r.GetString(0), r.GetString(1), Time(r, 2), TimeOrNull(r, 3)),
            cancellationToken,
            ("$id", id));
        return rows.FirstOrDefault();
    }

    public async Task<bool> SetUserDisabledAsync(string userId, DateTimeOffset? disabledAt, CancellationToken cancellationToken)
    {
        using var write = BeginWrite();
        await using var connection = await OpenConnectionAsync(cancellationToken);

        // Disabling keeps the first instant (a second disable changes nothing); enabling clears it.
        return await ExecuteAsync(
            connection,
            "UPDATE users SET disabled_at = CASE WHEN $at IS NULL THEN NULL ELSE COALESCE(disabled_at, $at) END WHERE id = $id",
            cancellationToken,
            null,
            ("$id", userId),
            ("$at", Ticks(disabledAt))) > 0;
    }

    public async Task CreateWorkspaceAsync(WorkspaceRecord workspace, MembershipRecord? owner, CancellationToken cancellationToken)
    {
        using var write = BeginWrite();
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        await ExecuteAsync(
            connection,
            "INSERT INTO workspaces (id, name, parent_id, created_at) VALUES ($id, $name, $parent, $at)",
            cancellationToken,
            transaction,
            ("$id", workspace.Id),
            ("$name", workspace.Name),
            ("$parent", workspace.ParentId),
            ("$at", Ticks(workspace.CreatedAt)));
        if (owner is not null)
        {
            await UpsertMembershipAsync(connection, transaction, owner, cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    public async Task<string> EnsureHomeWorkspaceAsync(string userId, WorkspaceRecord workspace, CancellationToken cancellationToken)
    {
        // GET /v1/me calls this on every request; after the first the home exists. Read first: a write would advance
        // Revision, and every identity cache (CallerResolver, StoreDeviceReadAccess) would start over for nothing.
        await using (var reading = await OpenConnectionAsync(cancellationToken))
        {
            var existing = await QueryAsync(reading, "SELECT home_workspace_id FROM users WHERE id = $u AND home_workspace_id IS NOT NULL", static r => r.GetString(0), cancellationToken, ("$u", userId));
            if (existing.Count == 1)
            {
                return existing[0];
            }
        }

        using var write = BeginWrite();
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        var claimed = await ExecuteAsync(
            connection,
            "UPDATE users SET home_workspace_id = $w WHERE id = $u AND home_workspace_id IS NULL",
            cancellationToken,
            transaction,
            ("$w", workspace.Id),
            ("$u", userId));
        if (claimed == 1)
        {
            await ExecuteAsync(
                connection,
                "INSERT INTO workspaces (id, name, parent_id, created_at) VALUES ($id, $name, NULL, $at)",
                cancellationToken,
                transaction,
                ("$id", workspace.Id),
                ("$name", workspace.Name),
                ("$at", Ticks(workspace.CreatedAt)));
            await UpsertMembershipAsync(connection, transaction, new MembershipRecord(workspace.Id, userId, WorkspaceRole.Owner), cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return workspace.Id;
        }

        await transaction.RollbackAsync(cancellationToken);
        var home = await QueryAsync(connection, "SELECT home_workspace_id FROM users WHERE id = $u", static r => r.GetString(0), cancellationToken, ("$u", userId));
        return home.Single();
    }

    public async Task<WorkspaceRecord?> GetWorkspaceAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        var rows = await QueryAsync(connection, $"SELECT {WorkspaceColumns} FROM workspaces WHERE id = $id", ReadWorkspace, cancellationToken, ("$id", id));
        return rows.FirstOrDefault();
    }

    public async Task<IReadOnlyList<WorkspaceRecord>> GetAncestryAsync(string id, int maxDepth, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);

        // The depth bound also ends the walk should bad data ever hold a parent cycle.
        return await QueryAsync(
            connection,
            $"""
            WITH RECURSIVE up(id, depth) AS (
                SELECT $id, 0
                UNION ALL
                SELECT w.parent_id, up.depth + 1 FROM workspaces w JOIN up ON w.id = up.id
                WHERE w.parent_id IS NOT NULL AND up.depth < $max)
            SELECT w.id, w.name, w.parent_id, w.created_at FROM up JOIN workspaces w ON w.id = up.id ORDER BY up.depth
            """,
            ReadWorkspace,
            cancellationToken,
            ("$id", id),
            ("$max", maxDepth));
    }

    public async Task<IReadOnlyList<WorkspaceRecord>> ListSubtreesAsync(IReadOnlyCollection<string> rootIds, CancellationToken cancellationToken)
    {
        if (rootIds.Count == 0)
        {
            return [];
        }

        await using var connection = await OpenConnectionAsync(cancellationToken);
        var (list, parameters) = InList(rootIds);
        return await QueryAsync(
            connection,
            $"""
            WITH RECURSIVE down(id, depth) AS (
                SELECT id, 0 FROM workspaces WHERE id IN ({list})
                UNION
                SELECT w.id, down.depth + 1 FROM workspaces w JOIN down ON w.parent_id = down.id WHERE down.depth < 64)
            SELECT DISTINCT w.id, w.name, w.parent_id, w.created_at FROM down JOIN workspaces w ON w.id = down.id ORDER BY w.created_at, w.id
            """,
            ReadWorkspace,
            cancellationToken,
            parameters);
    }

    public async Task<IReadOnlyList<WorkspaceRecord>> ListWorkspacesAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        return await QueryAsync(connection, $"SELECT {WorkspaceColumns} FROM workspaces ORDER BY created_at, id", ReadWorkspace, cancellationToken);
    }

    public async Task<IReadOnlyList<MembershipRecord>> ListMembershipsOfUserAsync(string userId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        return await QueryAsync(
            connection,
            "SELECT workspace_id, user_id, role FROM memberships WHERE user_id = $u",
            static r => new MembershipRecord(r.GetString(0), r.GetString(1), (WorkspaceRole)r.GetInt32(2)),
            cancellationToken,
            ("$u", userId));
    }

    public async Task<IReadOnlyList<MemberRecord>> ListMembersAsync(string workspaceId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        return await QueryAsync(
            connection,
            "SELECT u.id, u.email, m.role FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.workspace_id = $w ORDER BY u.email",
            static r => new MemberRecord(r.GetString(0), r.GetString(1), (WorkspaceRole)r.GetInt32(2)),
            cancellationToken,
            ("$w", workspaceId));
    }

    public async Task<RoleChange> SetMemberRoleAsync(string workspaceId, string userId, WorkspaceRole role, CancellationToken cancellationToken)
    {
        using var write = BeginWrite();
        await using var connection = await OpenConnectionAsync(cancellationToken);

        // One statement: an owner keeps the role unless another direct owner remains (writes are serialised by SQLite).
        var changed = await ExecuteAsync(
            connection,
            """
            UPDATE memberships SET role = $r
            WHERE workspace_id = $w AND user_id = $u
              AND ($r = $owner OR role <> $owner OR (SELECT COUNT(*) FROM memberships WHERE workspace_id = $w AND role = $owner) > 1)
            """,
            cancellationToken,
            null,
            ("$w", workspaceId),
            ("$u", userId),
            ("$r", (int)role),
            ("$owner", (int)WorkspaceRole.Owner));
        if (changed > 0)
        {
            return RoleChange.Changed;
        }

        var held = await QueryAsync(
            connection, "SELECT role FROM memberships WHERE workspace_id = $w AND user_id = $u", static r => r.GetInt32(0), cancellationToken, ("$w", workspaceId), ("$u", userId));
        return held.Count == 0 ? RoleChange.NotMember : RoleChange.LastOwner;
    }

    public async Task<bool> RemoveMembershipAsync(string workspaceId, string userId, CancellationToken cancellationToken)
    {
        using var write = BeginWrite();
        await using var connection = await OpenConnectionAsync(cancellationToken);
        return await ExecuteAsync(
            connection,
            "DELETE FROM memberships WHERE workspace_id = $w AND user_id = $u",
            cancellationToken,
            null,
            ("$w", workspaceId),
            ("$u", userId)) > 0;
    }

    /// <summary>Adds the membership or raises its role; an invitation never lowers a role the member already holds.</summary>
    private static Task<int> UpsertMembershipAsync(SqliteConnection connection, SqliteTransaction transaction, MembershipRecord membership, CancellationToken cancellationToken) =>
        ExecuteAsync(
            connection,
            "INSERT INTO memberships (workspace_id, user_id, role) VALUES ($w, $u, $r) ON CONFLICT (workspace_id, user_id) DO UPDATE SET role = MAX(role, excluded.role)",
            cancellationToken,
            transaction,
            ("$w", membership.WorkspaceId),
            ("$u", membership.UserId),
            ("$r", (int)membership.Role));

    private static WorkspaceRecord ReadWorkspace(DbDataReader r) => new(r.GetString(0), r.GetString(1), TextOrNull(r, 2), Time(r, 3));
}
