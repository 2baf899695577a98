using System.Data.Common;
using Datacake.Streams.Access;
using Microsoft.Data.Sqlite;

namespace Datacake.Streams.Api.Metadata;

// Invitations: made, listed, cancelled, accepted.
public sealed partial class SqliteMetadataStore
{
    private const string InvitationColumns = "id, workspace_id, user_id, role, inviter_user_id, inviter_token_id, created_at, expires_at, accepted_at, email";

    public async Task CreateInvitationAsync(InvitationRecord invitation, CancellationToken cancellationToken)
    {
        using var write = BeginWrite();
        await using var connection = await OpenConnectionAsync(cancellationToken);

        // invited_by (schema step 1, NOT NULL) keeps one id for readers of older backups: the token's when there is no user.
        await ExecuteAsync(
            connection,
            """
            INSERT INTO invitations (id, workspace_id, user_id, email, role, invited_by, inviter_user_id, inviter_token_id, created_at, expires_at, accepted_at)
            VALUES ($id, $w, $u, $email, $r, $by, $byUser, $byToken, $at, $expires, NULL)
            """,
            cancellationToken,
            null,
            ("$id", invitation.Id),
            ("$w", invitation.WorkspaceId),
            ("$u", invitation.UserId),
            ("$email", invitation.Email),
            ("$r", (int)invitation.Role),
            ("$by", invitation.InvitedBy.UserId ?? invitation.InvitedBy.TokenId ?? string.Empty),
            ("$byUser", invitation.InvitedBy.UserId),
            ("$byToken", invitation.InvitedBy.TokenId),
            ("$at", Ticks(invitation.CreatedAt)),
            ("$expires", Ticks(invitation.ExpiresAt)));
    }

    public async Task<InvitationRecord?> GetInvitationAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        var rows = await QueryAsync(connection, $"SELECT {InvitationColumns} FROM invitations WHERE id = $id", ReadInvitation, cancellationToken, ("$id", id));
        return rows.FirstOrDefault();
    }

    public async Task<IReadOnlyList<InvitationRecord>> ListPendingInvitationsAsync(string workspaceId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        return await QueryAsync(
            connection,
            $"SELECT {InvitationColumns} FROM invitations WHERE workspace_id = $w AND accepted_at IS NULL ORDER BY created_at, id",
            ReadInvitation,
            cancellationToken,
            ("$w", workspaceId));
    }

    public async Task<IReadOnlyList<InvitationRecord>> ListPendingInvitationsForAsync(UserRecord user, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);

        // The e-mail column compares without case (NOCASE), as users' e-mails are unique.
        return await QueryAsync(
            connection,
            $"""
            SELECT {InvitationColumns} FROM invitations
            WHERE accepted_at IS NULL AND (user_id = $u OR (user_id IS NULL AND email = $email))
            ORDER BY created_at, id
            """,
            ReadInvitation,
            cancellationToken,
            ("$u", user.Id),
            ("$email", user.Email));
    }

    public async Task<bool> CancelInvitationAsync(string id, CancellationToken cancellationToken)
    {
        using var write = BeginWrite();
        await using var connection = await OpenConnectionAsync(cancellationToken);
        return await ExecuteAsync(connection, "DELETE FROM invitations WHERE id = $id AND accepted_at IS NULL", cancellationToken, null, ("$id", id)) > 0;
    }

    public async Task<bool> AcceptInvitationAsync(InvitationRecord invitation, string userId, DateTimeOffset at, CancellationToken cancellationToken)
    {
        using var write = BeginWrite();
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);

        // Guarded by accepted_at: two acceptances at once, or one racing a cancellation, grant at most once.
        var taken = await ExecuteAsync(
            connection,
            "UPDATE invitations SET accepted_at = $at, user_id = $u WHERE id = $id AND accepted_at IS NULL",
            cancellationToken,
            transaction,
            ("$at", Ticks(at)),
            ("$u", userId),
            ("$id", invitation.Id));
        if (taken == 0)
        {
            await transaction.RollbackAsync(cancellationToken);
            return false;
        }

        await UpsertMembershipAsync(connection, transaction, new MembershipRecord(invitation.WorkspaceId, userId, invitation.Role), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    private static InvitationRecord ReadInvitation(DbDataReader r) => new(
        r.GetString(0),
        r.GetString(1),
        TextOrNull(r, 2),
        (WorkspaceRole)r.GetInt32(3),
        new Inviter(TextOrNull(r, 4), TextOrNull(r, 5)),
        Time(r, 6),
        Time(r, 7),
        TimeOrNull(r, 8),
        TextOrNull(r, 9));
}
