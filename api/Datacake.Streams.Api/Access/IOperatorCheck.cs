namespace Datacake.Streams.Api.Access;

/// <summary>
/// The seam between operator endpoints (retention, backups) and identity: whether the request's bearer token is
/// the operator's. The identity area implements it; the operator token reads no workspace data, and workspace
/// tokens manage no tiers.
/// </summary>
public interface IOperatorCheck
{
    bool IsOperator(HttpContext context);
}

/// <summary>The check on a node without identity (no <c>api</c> role): nobody is the operator, closed by default.</summary>
public sealed class NoOperatorCheck : IOperatorCheck
{
    public bool IsOperator(HttpContext context) => false;
}
