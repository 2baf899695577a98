using Datacake.Streams.Api.Audit;

namespace Datacake.Streams.Api.Metadata;

// The audit trails: one append-only table beside the metadata they describe, so a backup of the metadata carries them
// and they live exactly as long. Appends do not advance the revision: no cached access decision depends on them.
public sealed partial class SqliteMetadataStore
{
    public async Task AppendAuditAsync(AuditEvent audit, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await ExecuteAsync(
            connection,
            """
            INSERT INTO audit_events (at, trail, trail_id, actor, actor_token, action, target, status)
            VALUES ($at, $trail, $trailId, $actor, $actorToken, $action, $target, $status)
            """,
            cancellationToken,
            null,
            ("$at", Ticks(audit.At)),
            ("$trail", (int)audit.Trail),
            ("$trailId", audit.TrailId),
            ("$actor", audit.Actor),
            ("$actorToken", audit.ActorToken),
            ("$action", audit.Action),
            ("$target", audit.Target),
            ("$status", audit.Status));
    }

    public async Task<IReadOnlyList<AuditEvent>> ListAuditAsync(
        AuditTrailKind trail, IReadOnlyCollection<string>? trailIds, long? before, int limit, CancellationToken cancellationToken)
    {
        if (trailIds is { Count: 0 })
        {
            return [];
        }

        var (list, parameters) = InList(trailIds ?? []);
        var ids = trailIds is null ? string.Empty : $"AND trail_id IN ({list})";
        await using var connection = await OpenConnectionAsync(cancellationToken);
        return await QueryAsync(
            connection,
            $"""
            SELECT seq, at, trail, trail_id, actor, actor_token, action, target, status FROM audit_events
            WHERE trail = $trail {ids} AND seq < $before ORDER BY seq DESC LIMIT $limit
            """,
            static r => new AuditEvent(
                r.GetInt64(0),
                Time(r, 1),
                (AuditTrailKind)r.GetInt32(2),
                r.IsDBNull(3) ? null : r.GetString(3),
                r.GetString(4),
                r.IsDBNull(5) ? null : r.GetString(5),
                r.GetString(6),
                r.GetString(7),
                r.GetInt32(8)),
            cancellationToken,
            [.. parameters, ("$trail", (int)trail), ("$before", before ?? long.MaxValue), ("$limit", limit)]);
    }
}
