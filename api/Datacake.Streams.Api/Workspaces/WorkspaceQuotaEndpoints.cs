using Datacake.Streams.Access;
using Datacake.Streams.Api.Access;
using Datacake.Streams.Api.Metadata;
using Datacake.Streams.Problems;

namespace Datacake.Streams.Api.Workspaces;

/// <summary>A PUT body: points per second, and the burst (default: two seconds at that rate, like the nodes' default).</summary>
public sealed record QuotaRequest(double? PointsPerSecond, double? Burst);

/// <summary>A workspace's ingest quota as the operator set it; <c>quota</c> null = the ingest nodes' default (<c>Ingest:Quota</c>).</summary>
public sealed record QuotaResponse(string WorkspaceId, IngestQuota? Quota);

/// <summary>
/// <c>GET/PUT/DELETE /v1/ops/workspaces/{id}/quota</c>: the operator's ingest quota per workspace. Stored in the
/// metadata store, carried to the ingest nodes on the workspace's <c>dcs.registry</c> value. A quota is an operational
/// setting, not workspace data: the operator sets it without reading anything of the workspace, and a workspace's own
/// tokens cannot change it.
/// </summary>
public static class WorkspaceQuotaEndpoints
{
    public static RouteGroupBuilder MapWorkspaceQuotaApi(this RouteGroupBuilder v1)
    {
        var quota = v1.MapGroup("/ops/workspaces/{id}/quota").WithTags("Quotas");
        quota.MapGet("/", GetAsync);
        quota.MapPut("/", PutAsync);
        quota.MapDelete("/", DeleteAsync);
        return v1;
    }

    private static async Task<IResult> GetAsync(string id, HttpContext http, IMetadataStore store, CancellationToken cancellationToken)
    {
        await WorkspaceAsync(http, store, id, cancellationToken);
        return TypedResults.Ok(new QuotaResponse(id, await store.GetWorkspaceQuotaAsync(id, cancellationToken)));
    }

    private static async Task<IResult> PutAsync(
        string id, HttpContext http, IMetadataStore store, RegistryMirror mirror, RegistryFeed feed, TimeProvider time, CancellationToken cancellationToken)
    {
        var workspace = await WorkspaceAsync(http, store, id, cancellationToken);
        var body = await JsonBody.ReadAsync<QuotaRequest>(http, cancellationToken);
        if (body.PointsPerSecond is not { } rate)
        {
            return QueryProblem.Invalid(ProblemTypes.InvalidRequest, "Invalid quota; nothing was changed",
                new Dictionary<string, string[]> { ["pointsPerSecond"] = ["required"] });
        }

        var quota = new IngestQuota(rate, body.Burst ?? Math.Max(1, 2 * rate));
        if (quota.Check() is { Count: > 0 } errors)
        {
            return QueryProblem.Invalid(ProblemTypes.InvalidRequest, "Invalid quota; nothing was changed", errors);
        }

        await store.SetWorkspaceQuotaAsync(id, quota, time.GetUtcNow(), cancellationToken);
        await PublishAsync(mirror, feed, workspace, quota, cancellationToken);
        return TypedResults.Ok(new QuotaResponse(id, quota));
    }

    private static async Task<IResult> DeleteAsync(
        string id, HttpContext http, IMetadataStore store, RegistryMirror mirror, RegistryFeed feed, TimeProvider time, CancellationToken cancellationToken)
    {
        var workspace = await WorkspaceAsync(http, store, id, cancellationToken);
        await store.SetWorkspaceQuotaAsync(id, null, time.GetUtcNow(), cancellationToken);
        await PublishAsync(mirror, feed, workspace, null, cancellationToken);
        return TypedResults.Ok(new QuotaResponse(id, null));
    }

    /// <summary>
    /// Publishes and waits until this node's view holds the change: once the answer is out, this node's ingest enforces
    /// it (read-your-writes); other nodes follow within their registry feed's delay.
    /// </summary>
    private static async Task PublishAsync(RegistryMirror mirror, RegistryFeed feed, WorkspaceRecord workspace, IngestQuota? quota, CancellationToken cancellationToken)
    {
        var position = await mirror.PublishAsync(workspace, quota, cancellationToken);
        await feed.WaitForAsync(position, cancellationToken);
    }

    private static async Task<WorkspaceRecord> WorkspaceAsync(HttpContext http, IMetadataStore store, string id, CancellationToken cancellationToken)
    {
        if (http.Caller() is not OperatorCaller)
        {
            throw ApiProblem.Forbidden("Ingest quotas are set with the operator token only.");
        }

        return await store.GetWorkspaceAsync(id, cancellationToken)
            ?? throw new ApiProblem(StatusCodes.Status404NotFound, ProblemTypes.WorkspaceNotFound, "No such workspace");
    }
}
