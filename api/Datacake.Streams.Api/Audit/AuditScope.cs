using Datacake.Streams.Api.Metadata;
using Datacake.Streams.Ids;

namespace Datacake.Streams.Api.Audit;

/// <summary>The trail a change is written to, resolved from its route before the change runs (a deleted webhook cannot be looked up after).</summary>
public readonly record struct AuditDestination(AuditTrailKind Trail, string? TrailId);

/// <summary>
/// Which trail a changing route writes to, from its route pattern alone: every mutating route of the API must resolve
/// (a test walks the endpoint list), so a new route cannot change things without a trail.
/// </summary>
public static class AuditScope
{
    /// <summary>How a route pattern finds its trail.</summary>
    public enum Rule
    {
        /// <summary>No rule: a new kind of route; the test that walks the endpoints fails on it.</summary>
        Unknown,

        /// <summary>Only the operator may call it: users, retention, backups, quotas.</summary>
        Operator,

        /// <summary><c>/workspaces/{id}...</c>: the workspace named.</summary>
        Workspace,

        /// <summary><c>POST /workspaces</c>: the workspace the answer created.</summary>
        CreatedWorkspace,

        /// <summary>The workspace of the device, token, webhook, decoder or invitation named by <c>{id}</c>.</summary>
        Device,
        Token,
        Webhook,
        Decoder,
        Invitation,

        /// <summary><c>/me/...</c>: the caller's own trail.</summary>
        Caller,
    }

    public static Rule RuleOf(string pattern)
    {
        // Patterns as ASP.NET Core gives them: "/v1/devices/{id}/restore", "/v1/ops/retention/".
        var path = pattern.StartsWith("/v1/", StringComparison.Ordinal) ? pattern[4..] : pattern.TrimStart('/');
        var first = path.IndexOf('/') is var slash and >= 0 ? path[..slash] : path;
        return first switch
        {
            "ops" or "users" => Rule.Operator,
            "workspaces" when path.Length == "workspaces".Length => Rule.CreatedWorkspace,
            "workspaces" => Rule.Workspace,
            "devices" => Rule.Device,
            "tokens" => Rule.Token,
            "webhooks" => Rule.Webhook,
            "decoders" => Rule.Decoder,
            "invitations" => Rule.Invitation,
            "me" => Rule.Caller,
            _ => Rule.Unknown,
        };
    }

    /// <summary>The trail for a resolved rule; null when what <c>{id}</c> names does not exist (nothing will change).</summary>
    public static async Task<AuditDestination?> ResolveAsync(
        Rule rule, string? id, string? callerUserId, IMetadataStore store, CancellationToken cancellationToken)
    {
        switch (rule)
        {
            case Rule.Operator:
                return new AuditDestination(AuditTrailKind.Operator, null);
            case Rule.Workspace:
                return id is null ? null : new AuditDestination(AuditTrailKind.Workspace, id);
            case Rule.Caller:
                return callerUserId is null ? null : new AuditDestination(AuditTrailKind.User, callerUserId);
            case Rule.Device:
                return id is not null && DeviceId.TryParse(id, out var device) && await store.GetDeviceAsync(device, cancellationToken) is { } d
                    ? new AuditDestination(AuditTrailKind.Workspace, d.WorkspaceId)
                    : null;
            case Rule.Token:
                return id is null ? null : await store.GetTokenAsync(id, cancellationToken) switch
                {
                    { WorkspaceId: { } workspace } => new AuditDestination(AuditTrailKind.Workspace, workspace),
                    { OwnerUserId: { } user } => new AuditDestination(AuditTrailKind.User, user),
                    _ => null,
                };
            case Rule.Webhook:
                return id is not null && await store.GetWebhookAsync(id, cancellationToken) is { } w ? new AuditDestination(AuditTrailKind.Workspace, w.WorkspaceId) : null;
            case Rule.Decoder:
                return id is not null && await store.GetDecoderAsync(id, cancellationToken) is { } c ? new AuditDestination(AuditTrailKind.Workspace, c.WorkspaceId) : null;
            case Rule.Invitation:
                return id is not null && await store.GetInvitationAsync(id, cancellationToken) is { } i ? new AuditDestination(AuditTrailKind.Workspace, i.WorkspaceId) : null;
            default:
                return null;
        }
    }
}
