namespace Datacake.Streams.Api.Metadata;

/// <summary>
/// The schema, as numbered steps applied once each at start-up and recorded in <c>schema_migrations</c>. Append new
/// steps; never edit an applied one. Instants are UTC ticks (100 ns units since 0001-01-01, exact like the registry's); hashes are 32-byte blobs.
/// </summary>
internal static class SqliteMigrations
{
    public static readonly (int Version, string Sql)[] Steps =
    [
        (1, """
            CREATE TABLE users (
                id TEXT PRIMARY KEY,
                email TEXT NOT NULL UNIQUE COLLATE NOCASE,
                home_workspace_id TEXT,
                created_at INTEGER NOT NULL);
            CREATE TABLE workspaces (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                parent_id TEXT REFERENCES workspaces(id),
                created_at INTEGER NOT NULL);
            CREATE INDEX workspaces_parent ON workspaces(parent_id);
            CREATE TABLE memberships (
                workspace_id TEXT NOT NULL REFERENCES workspaces(id),
                user_id TEXT NOT NULL REFERENCES users(id),
                role INTEGER NOT NULL,
                PRIMARY KEY (workspace_id, user_id));
            CREATE INDEX memberships_user ON memberships(user_id);
            CREATE TABLE invitations (
                id TEXT PRIMARY KEY,
                workspace_id TEXT NOT NULL REFERENCES workspaces(id),
                user_id TEXT NOT NULL REFERENCES users(id),
                role INTEGER NOT NULL,
                invited_by TEXT NOT NULL,
                created_at INTEGER NOT NULL,
                accepted_at INTEGER);
            CREATE TABLE devices (
                id TEXT PRIMARY KEY,
                workspace_id TEXT NOT NULL REFERENCES workspaces(id),
                name TEXT NOT NULL,
                dev_eui INTEGER,
                serial TEXT,
                particle_id TEXT,
                decoder TEXT,
                created_at INTEGER NOT NULL,
                deleted_at INTEGER);
            CREATE INDEX devices_workspace ON devices(workspace_id);
            CREATE TABLE tokens (
                id TEXT PRIMARY KEY,
                kind INTEGER NOT NULL,
                hash BLOB NOT NULL UNIQUE,
                name TEXT NOT NULL,
                owner_user_id TEXT REFERENCES users(id),
                workspace_id TEXT REFERENCES workspaces(id),
                role INTEGER NOT NULL,
                devices TEXT NOT NULL,
                expires_at INTEGER,
                disabled_at INTEGER,
                revoked_at INTEGER,
                previous_hash BLOB,
                previous_valid_until INTEGER,
                created_by TEXT,
                created_at INTEGER NOT NULL);
            CREATE INDEX tokens_previous_hash ON tokens(previous_hash);
            CREATE INDEX tokens_workspace ON tokens(workspace_id);
            CREATE TABLE webhooks (
                id TEXT PRIMARY KEY,
                workspace_id TEXT NOT NULL REFERENCES workspaces(id),
                kind INTEGER NOT NULL,
                token_hash BLOB NOT NULL UNIQUE,
                devices TEXT NOT NULL,
                sealed_secret BLOB,
                created_at INTEGER NOT NULL);
            CREATE TABLE decoders (
                id TEXT PRIMARY KEY,
                workspace_id TEXT NOT NULL REFERENCES workspaces(id),
                name TEXT NOT NULL,
                source TEXT NOT NULL,
                created_at INTEGER NOT NULL);
            CREATE TABLE deletion_confirmations (
                code_hash BLOB PRIMARY KEY,
                device_id TEXT NOT NULL,
                expires_at INTEGER NOT NULL);
            """),
        (2, """
            ALTER TABLE devices ADD COLUMN purged_at INTEGER;
            CREATE INDEX devices_deleted ON devices(deleted_at) WHERE deleted_at IS NOT NULL AND purged_at IS NULL;
            """),
        (3, """
            CREATE TABLE workspace_quotas (
                workspace_id TEXT PRIMARY KEY REFERENCES workspaces(id),
                points_per_second REAL NOT NULL,
                burst REAL NOT NULL,
                updated_at INTEGER NOT NULL);
            """),
        (4, """
            ALTER TABLE users ADD COLUMN disabled_at INTEGER;
            CREATE INDEX tokens_owner ON tokens(owner_user_id) WHERE owner_user_id IS NOT NULL;
            """),
        (5, """
            CREATE TABLE audit_events (
                seq INTEGER PRIMARY KEY AUTOINCREMENT,
                at INTEGER NOT NULL,
                trail INTEGER NOT NULL,
                trail_id TEXT,
                actor TEXT NOT NULL,
                actor_token TEXT,
                action TEXT NOT NULL,
                target TEXT NOT NULL,
                status INTEGER NOT NULL);
            CREATE INDEX audit_events_trail ON audit_events(trail, trail_id, seq);
            """),

        // Invitations expire and name their inviter by user and token id. A pending invitation made before this step
        // gets 7 days from its creation (the default lifetime) and keeps the one id it had (the user's or the token's).
        // 6,048,000,000,000 ticks = 7 days.
        (6, """
            ALTER TABLE invitations ADD COLUMN inviter_user_id TEXT;
            ALTER TABLE invitations ADD COLUMN inviter_token_id TEXT;
            ALTER TABLE invitations ADD COLUMN expires_at INTEGER;
            UPDATE invitations SET inviter_token_id = invited_by WHERE invited_by LIKE 'tok!_%' ESCAPE '!';
            UPDATE invitations SET inviter_user_id = invited_by WHERE inviter_token_id IS NULL;
            UPDATE invitations SET expires_at = created_at + 6048000000000;
            CREATE INDEX invitations_pending ON invitations(workspace_id) WHERE accepted_at IS NULL;
            """),
        (7, """
            ALTER TABLE webhooks ADD COLUMN disabled_at INTEGER;
            ALTER TABLE webhooks ADD COLUMN previous_token_hash BLOB;
            ALTER TABLE webhooks ADD COLUMN previous_token_valid_until INTEGER;
            ALTER TABLE webhooks ADD COLUMN previous_sealed_secret BLOB;
            ALTER TABLE webhooks ADD COLUMN previous_secret_valid_until INTEGER;
            """),

        // Invitations by e-mail: addressed to a user id or to an e-mail (whoever has it, now or created later), so
        // user_id may be null until acceptance records who accepted. SQLite cannot drop a NOT NULL: the table is rebuilt.
        (8, """
            CREATE TABLE invitations_v8 (
                id TEXT PRIMARY KEY,
                workspace_id TEXT NOT NULL REFERENCES workspaces(id),
                user_id TEXT REFERENCES users(id),
                email TEXT COLLATE NOCASE,
                role INTEGER NOT NULL,
                invited_by TEXT NOT NULL,
                created_at INTEGER NOT NULL,
                accepted_at INTEGER,
                inviter_user_id TEXT,
                inviter_token_id TEXT,
                expires_at INTEGER,
                CHECK (user_id IS NOT NULL OR email IS NOT NULL));
            INSERT INTO invitations_v8 (id, workspace_id, user_id, role, invited_by, created_at, accepted_at, inviter_user_id, inviter_token_id, expires_at)
                SELECT id, workspace_id, user_id, role, invited_by, created_at, accepted_at, inviter_user_id, inviter_token_id, expires_at FROM invitations;
            DROP TABLE invitations;
            ALTER TABLE invitations_v8 RENAME TO invitations;
            CREATE INDEX invitations_pending ON invitations(workspace_id) WHERE accepted_at IS NULL;
            CREATE INDEX invitations_pending_user ON invitations(user_id) WHERE accepted_at IS NULL;
            CREATE INDEX invitations_pending_email ON invitations(email) WHERE accepted_at IS NULL;
            """),
    ];
}
