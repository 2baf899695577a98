using Datacake.Streams.Access;

namespace Datacake.Streams.Api.Metadata;

// The operator's ingest quotas per workspace: a table of their own, since a tenant's workspace record is not where an
// operator's setting belongs and most workspaces have none.
public sealed partial class SqliteMetadataStore
{
    public async Task<IngestQuota?> GetWorkspaceQuotaAsync(string workspaceId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        var rows = await QueryAsync(
            connection,
            "SELECT points_per_second, burst FROM workspace_quotas WHERE workspace_id = $id",
            static r => new IngestQuota(r.GetDouble(0), r.GetDouble(1)),
            cancellationToken,
            ("$id", workspaceId));
        return rows.FirstOrDefault();
    }

    public async Task SetWorkspaceQuotaAsync(string workspaceId, IngestQuota? quota, DateTimeOffset at, CancellationToken cancellationToken)
    {
        using var write = BeginWrite();
        await using var connection = await OpenConnectionAsync(cancellationToken);
        if (quota is null)
        {
            await ExecuteAsync(connection, "DELETE FROM workspace_quotas WHERE workspace_id = $id", cancellationToken, null, ("$id", workspaceId));
            return;
        }

        await ExecuteAsync(
            connection,
            """
            INSERT INTO workspace_quotas (workspace_id, points_per_second, burst, updated_at) VALUES ($id, $rate, $burst, $at)
            ON CONFLICT (workspace_id) DO UPDATE SET points_per_second = $rate, burst = $burst, updated_at = $at
            """,
            cancellationToken,
            null,
            ("$id", workspaceId),
            ("$rate", quota.PointsPerSecond),
            ("$burst", quota.Burst),
            ("$at", Ticks(at)));
    }

    public async Task<IReadOnlyDictionary<string, IngestQuota>> ListWorkspaceQuotasAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        var rows = await QueryAsync(
            connection,
            "SELECT workspace_id, points_per_second, burst FROM workspace_quotas",
            static r => (Id: r.GetString(0), Quota: new IngestQuota(r.GetDouble(1), r.GetDouble(2))),
            cancellationToken);
        return rows.ToDictionary(r => r.Id, r => r.Quota, StringComparer.Ordinal);
    }
}
