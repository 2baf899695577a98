using System.Globalization;
using Datacake.Streams.Api.Access;
using Datacake.Streams.Api.Metadata;

namespace Datacake.Streams.Api.Audit;

public sealed record AuditEventView(long Sequence, DateTimeOffset At, string? WorkspaceId, string Actor, string? ActorToken, string Action, string Target, int Status);

/// <summary>A page of a trail, newest first; <c>next</c> is the <c>before</c> of the following page (null at the end).</summary>
public sealed record AuditPage(IReadOnlyList<AuditEventView> Events, long? Next);

/// <summary>
/// The trails: <c>GET /v1/workspaces/{id}/audit</c> (owners and admins; the workspace and its sub-workspaces),
/// <c>GET /v1/me/audit</c> (a person's own user-token changes), <c>GET /v1/ops/audit</c> (the operator's actions on
/// users, quotas, retention and backups). Kept as long as the metadata: an event is a few hundred bytes.
/// </summary>
public static class AuditEndpoints
{
    private const int DefaultPage = 100;
    private const int MaxPage = 1000;

    public static RouteGroupBuilder MapAuditApi(this RouteGroupBuilder v1)
    {
        v1.MapGet("/workspaces/{id}/audit", WorkspaceAsync);
        v1.MapGet("/me/audit", MineAsync);
        v1.MapGet("/ops/audit", OperatorAsync);
        return v1;
    }

    private static async Task<IResult> WorkspaceAsync(
        string id, string? before, string? limit, HttpContext http, IMetadataStore store, AccessGuard guard, CancellationToken cancellationToken)
    {
        var reach = await guard.WorkspaceAsync(http.Caller(), id, AccessRules.Administer, cancellationToken);
        var subtree = await store.ListSubtreesAsync([reach.Workspace.Id], cancellationToken);
        return await PageAsync(store, AuditTrailKind.Workspace, [.. subtree.Select(w => w.Id)], before, limit, cancellationToken);
    }

    private static async Task<IResult> MineAsync(string? before, string? limit, HttpContext http, IMetadataStore store, CancellationToken cancellationToken)
    {
        if (http.Caller() is not UserCaller user)
        {
            throw ApiProblem.Forbidden("Only a person has an own trail: it lists the changes to their user tokens.");
        }

        return await PageAsync(store, AuditTrailKind.User, [user.UserId], before, limit, cancellationToken);
    }

    private static async Task<IResult> OperatorAsync(string? before, string? limit, HttpContext http, IMetadataStore store, CancellationToken cancellationToken)
    {
        if (http.Caller() is not OperatorCaller)
        {
            throw ApiProblem.Forbidden("The operator's trail is the operator's.");
        }

        return await PageAsync(store, AuditTrailKind.Operator, null, before, limit, cancellationToken);
    }

    private static async Task<IResult> PageAsync(
        IMetadataStore store, AuditTrailKind trail, IReadOnlyCollection<string>? trailIds, string? before, string? limit, CancellationToken cancellationToken)
    {
        long? cursor = null;
        if (before is not null)
        {
            cursor = long.TryParse(before, NumberStyles.None, CultureInfo.InvariantCulture, out var b) && b > 0
                ? b
                : throw ApiProblem.Invalid("before must be the positive sequence number a previous page gave as next.");
        }

        var size = DefaultPage;
        if (limit is not null && (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out size) || size is < 1 or > MaxPage))
        {
            throw ApiProblem.Invalid($"limit must be 1 to {MaxPage}.");
        }

        var events = await store.ListAuditAsync(trail, trailIds, cursor, size + 1, cancellationToken);
        var page = events.Take(size).Select(e => new AuditEventView(
            e.Sequence, e.At, e.Trail == AuditTrailKind.Workspace ? e.TrailId : null, e.Actor, e.ActorToken, e.Action, e.Target, e.Status)).ToArray();
        return TypedResults.Ok(new AuditPage(page, events.Count > size ? page[^1].Sequence : null));
    }
}
