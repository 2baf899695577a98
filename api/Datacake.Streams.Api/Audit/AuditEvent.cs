namespace Datacake.Streams.Api.Audit;

/// <summary>Whose trail an event belongs to: a workspace's, a person's own (their user tokens), or the operator's.</summary>
public enum AuditTrailKind
{
    Workspace = 1,
    User = 2,
    Operator = 3,
}

/// <summary>
/// One change made through the API, as its trail keeps it: when, who (a user id and the token id it used, a scoped
/// token's id, or "operator"; never a secret), the route that changed something (<c>DELETE /v1/devices/{id}</c>), what it
/// named (route values and the created resource's location) and the answer's status. Nothing from the body: bodies
/// carry secrets (decoder sources, e-mails, rotated tokens) that a trail must not keep.
/// </summary>
public sealed record AuditEvent(
    long Sequence,
    DateTimeOffset At,
    AuditTrailKind Trail,
    string? TrailId,
    string Actor,
    string? ActorToken,
    string Action,
    string Target,
    int Status);
