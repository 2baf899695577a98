namespace Datacake.Streams.IntegrationTests.Api.Access;

/// <summary>Who a route serves, as the API's contract (shared DESIGN.md, docs/SECURITY.md) states it.</summary>
public enum RouteAccess
{
    /// <summary>Anyone, with or without a token (health, API docs, the InfluxDB ping): checked only for leaks.</summary>
    Public,

    /// <summary>The operator only; a user or scoped token is refused (403), no token or a dead one is 401.</summary>
    Operator,

    /// <summary>The operator only, and to everyone else the answer is 401 whatever they present (e.g. /metrics, which names nothing it refuses).</summary>
    OperatorElseUnauthenticated,

    /// <summary>Any live credential, about itself (me, my workspaces, my tokens): never 401 to a live token; the answer names only what the caller may see.</summary>
    Self,

    /// <summary>A workspace's members of any role (owner, admin, viewer); device-scoped tokens, former members and other workspaces are refused.</summary>
    WorkspaceMember,

    /// <summary>A workspace's owners and admins (user or role token); a viewer gets 403; device-scoped tokens, former members and other workspaces are refused.</summary>
    WorkspaceAdmin,

    /// <summary>Whoever may read the device: its workspace's members and tokens whose devices list it (read, read-write, the device's own token).</summary>
    DeviceReader,

    /// <summary>Whoever may change the device: its workspace's owners and admins; readers and device tokens get 403.</summary>
    DeviceAdmin,

    /// <summary>Data into a device: a token that may write it (read-write grant, the device's own token, a workspace admin token); every other credential is refused.</summary>
    DeviceWriter,

    /// <summary>Line protocol: a device-scoped token that may write (its device receives the points); every other credential, a workspace admin token included, is refused.</summary>
    LineProtocolWriter,

    /// <summary>A webhook's own credential (X-Webhook-Token or Standard Webhooks signature); a bearer token of any kind is refused.</summary>
    WebhookCredential,

    /// <summary>Only the invited user; every other caller is refused.</summary>
    Invitee,

    /// <summary>InfluxQL: any live credential, each answer scoped to the devices it may read (nothing of others, never an error naming them).</summary>
    ScopedQuery,
}

/// <summary>Which of workspace A's things a route's <c>{id}</c> names.</summary>
public enum RouteTarget
{
    None,
    Workspace,
    Device,
    Token,
    Webhook,
    Decoder,
    Invitation,
    User,
    Backup,
}

/// <summary>
/// How the matrix calls one route: who it serves, what its <c>{id}</c> is (its <c>{userId}</c> is always a member of
/// A's workspace), a body, a query string, and whether each call needs targets of its own (a change that would leave
/// nothing for the next caller, e.g. a delete).
/// </summary>
public sealed record RouteRule(RouteAccess Access, RouteTarget Target = RouteTarget.None, object? Body = null, string Query = "", bool FreshTargets = false);

/// <summary>
/// Every route the node maps, classified. The matrix test fails on a route of the host missing here (and on an entry
/// here the host no longer maps), so that a new route is judged by someone before it ships.
/// </summary>
internal static class RouteAccessCatalog
{
    private static readonly object _emptyBody = new { };

    /// <summary>Keyed <c>"METHOD /pattern"</c> as the host's endpoint data source spells it (trailing slash trimmed).</summary>
    public static IReadOnlyDictionary<string, RouteRule> Rules { get; } = new Dictionary<string, RouteRule>(StringComparer.Ordinal)
    {
        // Observability and documentation.
        ["GET /healthz"] = new(RouteAccess.Public),
        ["GET /readyz"] = new(RouteAccess.Public),
        ["GET /metrics"] = new(RouteAccess.OperatorElseUnauthenticated),
        ["GET /openapi/{documentName}.json"] = new(RouteAccess.Public),
        ["GET /docs/{documentName?}"] = new(RouteAccess.Public),
        ["GET /docs/favicon.svg"] = new(RouteAccess.Public),
        ["GET /docs/scalar.aspnetcore.js"] = new(RouteAccess.Public),
        ["GET /docs/scalar.js"] = new(RouteAccess.Public),
        ["GET /ping"] = new(RouteAccess.Public),
        ["HEAD /ping"] = new(RouteAccess.Public),

        // Users (the operator's) and the caller's own.
        ["POST /v1/users"] = new(RouteAccess.Operator, Body: new { email = "matrix-new@example.test" }),
        ["POST /v1/users/{id}/tokens"] = new(RouteAccess.Operator, RouteTarget.User),
        ["POST /v1/users/{id}/disable"] = new(RouteAccess.Operator, RouteTarget.User),
        ["POST /v1/users/{id}/enable"] = new(RouteAccess.Operator, RouteTarget.User),
        ["GET /v1/me"] = new(RouteAccess.Self),
        ["GET /v1/me/audit"] = new(RouteAccess.Self),
        ["GET /v1/me/invitations"] = new(RouteAccess.Self),
        ["GET /v1/me/tokens"] = new(RouteAccess.Self),
        ["GET /v1/workspaces"] = new(RouteAccess.Self),
        ["POST /v1/workspaces"] = new(RouteAccess.Self, Body: new { name = "matrix" }),
        ["GET /v1/ingest/mqtt"] = new(RouteAccess.Self),

        // Workspaces, members, invitations.
        ["GET /v1/workspaces/{id}"] = new(RouteAccess.WorkspaceMember, RouteTarget.Workspace),
        ["GET /v1/workspaces/{id}/members"] = new(RouteAccess.WorkspaceMember, RouteTarget.Workspace),
        ["PATCH /v1/workspaces/{id}/members/{userId}"] = new(RouteAccess.WorkspaceAdmin, RouteTarget.Workspace, new { role = "viewer" }),
        ["DELETE /v1/workspaces/{id}/members/{userId}"] = new(RouteAccess.WorkspaceAdmin, RouteTarget.Workspace, FreshTargets: true),
        ["GET /v1/workspaces/{id}/invitations"] = new(RouteAccess.WorkspaceAdmin, RouteTarget.Workspace),
        ["POST /v1/workspaces/{id}/invitations"] = new(RouteAccess.WorkspaceAdmin, RouteTarget.Workspace, new { email = "matrix-invitee@example.test", role = "viewer" }),
        ["DELETE /v1/invitations/{id}"] = new(RouteAccess.WorkspaceAdmin, RouteTarget.Invitation, FreshTargets: true),
        ["POST /v1/invitations/{id}/accept"] = new(RouteAccess.Invitee, RouteTarget.Invitation),
        ["GET /v1/workspaces/{id}/audit"] = new(RouteAccess.WorkspaceAdmin, RouteTarget.Workspace),
        ["GET /v1/workspaces/{id}/export"] = new(RouteAccess.WorkspaceAdmin, RouteTarget.Workspace),

        // Quotas, retention, backups, the operator's trail.
        ["GET /v1/ops/workspaces/{id}/quota"] = new(RouteAccess.Operator, RouteTarget.Workspace),
        ["PUT /v1/ops/workspaces/{id}/quota"] = new(RouteAccess.Operator, RouteTarget.Workspace, new { pointsPerSecond = 1 }),
        ["DELETE /v1/ops/workspaces/{id}/quota"] = new(RouteAccess.Operator, RouteTarget.Workspace),
        ["GET /v1/ops/audit"] = new(RouteAccess.Operator),
        ["GET /v1/ops/retention"] = new(RouteAccess.Operator),
        ["PUT /v1/ops/retention"] = new(RouteAccess.Operator, Body: _emptyBody),
        ["GET /v1/ops/backups"] = new(RouteAccess.Operator),
        ["POST /v1/ops/backups"] = new(RouteAccess.Operator, Body: _emptyBody),
        ["GET /v1/ops/backups/{id}"] = new(RouteAccess.Operator, RouteTarget.Backup),
        ["POST /v1/ops/backups/{id}/verify"] = new(RouteAccess.Operator, RouteTarget.Backup),
        ["POST /v1/ops/backups/{id}/restore"] = new(RouteAccess.Operator, RouteTarget.Backup),
        ["POST /v1/ops/backups/{id}/restore-device"] = new(RouteAccess.Operator, RouteTarget.Backup),

        // Devices.
        ["POST /v1/workspaces/{id}/devices"] = new(RouteAccess.WorkspaceAdmin, RouteTarget.Workspace, new { name = "matrix device" }),
        ["GET /v1/workspaces/{id}/devices"] = new(RouteAccess.WorkspaceMember, RouteTarget.Workspace),
        ["GET /v1/devices/{id}"] = new(RouteAccess.DeviceReader, RouteTarget.Device),
        ["PATCH /v1/devices/{id}"] = new(RouteAccess.DeviceAdmin, RouteTarget.Device, new { name = "renamed" }),

        // Without ?confirm= the first step only answers 409 with the confirmation: nothing is deleted.
        ["DELETE /v1/devices/{id}"] = new(RouteAccess.DeviceAdmin, RouteTarget.Device),
        ["POST /v1/devices/{id}/restore"] = new(RouteAccess.DeviceAdmin, RouteTarget.Device),
        ["GET /v1/devices/{id}/series"] = new(RouteAccess.DeviceReader, RouteTarget.Device, Query: "?fields=temperature"),
        ["GET /v1/devices/{id}/last"] = new(RouteAccess.DeviceReader, RouteTarget.Device),
        ["GET /v1/devices/{id}/dead-letters"] = new(RouteAccess.DeviceReader, RouteTarget.Device),
        ["POST /v1/query"] = new(RouteAccess.DeviceReader, RouteTarget.Device, new { devices = new[] { "{id}" }, fields = new[] { "temperature" } }),

        // Tokens.
        ["POST /v1/workspaces/{id}/tokens"] = new(RouteAccess.WorkspaceAdmin, RouteTarget.Workspace, new { name = "matrix", role = "viewer" }),
        ["GET /v1/workspaces/{id}/tokens"] = new(RouteAccess.WorkspaceAdmin, RouteTarget.Workspace),
        ["POST /v1/devices/{id}/tokens"] = new(RouteAccess.DeviceAdmin, RouteTarget.Device),
        ["POST /v1/tokens/{id}/rotate"] = new(RouteAccess.WorkspaceAdmin, RouteTarget.Token, new { graceSeconds = 0 }),
        ["POST /v1/tokens/{id}/disable"] = new(RouteAccess.WorkspaceAdmin, RouteTarget.Token),
        ["DELETE /v1/tokens/{id}"] = new(RouteAccess.WorkspaceAdmin, RouteTarget.Token, FreshTargets: true),

        // Webhooks.
        ["POST /v1/workspaces/{id}/webhooks"] = new(RouteAccess.WorkspaceAdmin, RouteTarget.Workspace, new { kind = "tts", devices = Array.Empty<string>() }),
        ["GET /v1/workspaces/{id}/webhooks"] = new(RouteAccess.WorkspaceAdmin, RouteTarget.Workspace),
        ["PATCH /v1/webhooks/{id}"] = new(RouteAccess.WorkspaceAdmin, RouteTarget.Webhook, new { devices = Array.Empty<string>() }),
        ["DELETE /v1/webhooks/{id}"] = new(RouteAccess.WorkspaceAdmin, RouteTarget.Webhook, FreshTargets: true),
        ["POST /v1/webhooks/{id}/rotate"] = new(RouteAccess.WorkspaceAdmin, RouteTarget.Webhook, new { overlapSeconds = 0 }),
        ["POST /v1/webhooks/{id}/pause"] = new(RouteAccess.WorkspaceAdmin, RouteTarget.Webhook),
        ["POST /v1/webhooks/{id}/resume"] = new(RouteAccess.WorkspaceAdmin, RouteTarget.Webhook),

        // Decoders.
        ["POST /v1/workspaces/{id}/decoders"] = new(RouteAccess.WorkspaceAdmin, RouteTarget.Workspace, new { name = "matrix", source = "function Decoder(b, p) { return {}; }" }),
        ["GET /v1/workspaces/{id}/decoders"] = new(RouteAccess.WorkspaceMember, RouteTarget.Workspace),
        ["GET /v1/decoders/{id}"] = new(RouteAccess.WorkspaceMember, RouteTarget.Decoder),
        ["PATCH /v1/decoders/{id}"] = new(RouteAccess.WorkspaceAdmin, RouteTarget.Decoder, new { name = "renamed" }),
        ["POST /v1/decoders/{id}/test"] = new(RouteAccess.WorkspaceMember, RouteTarget.Decoder, new { payload = "AQI=", port = 1 }),

        // Ingest and the InfluxDB-compatible endpoints.
        ["POST /v1/devices/{id}/measurements"] = new(RouteAccess.DeviceWriter, RouteTarget.Device, new { temperature = 21.5 }),
        ["POST /write"] = new(RouteAccess.LineProtocolWriter, Body: "climate temperature=21.5", Query: "?db=datacake"),
        ["POST /api/v2/write"] = new(RouteAccess.LineProtocolWriter, Body: "climate temperature=21.5", Query: "?bucket=datacake"),
        ["POST /v1/webhooks/{id}"] = new(RouteAccess.WebhookCredential, RouteTarget.Webhook, _emptyBody),
        ["GET /query"] = new(RouteAccess.ScopedQuery, RouteTarget.Device, Query: "?db=datacake&q=SELECT%20*%20FROM%20%22{id}%22"),
        ["POST /query"] = new(RouteAccess.ScopedQuery, RouteTarget.Device, Query: "?db=datacake&q=SELECT%20*%20FROM%20%22{id}%22"),
    };
}
