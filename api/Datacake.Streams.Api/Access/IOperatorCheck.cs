using Microsoft.AspNetCore.Http.HttpResults;

namespace Datacake.Streams.Api.Access;

/// <summary>
/// The seam between operator endpoints (retention, backups, metrics) and identity: whether the request's bearer token
/// is the operator's. The identity area implements it; the operator token reads no workspace data, and workspace
/// tokens manage no tiers.
/// </summary>
public interface IOperatorCheck
{
    OperatorVerdict Check(HttpContext context);
}

/// <summary>How an operator check turned out.</summary>
public enum OperatorStatus
{
    Operator,

    /// <summary>No bearer credential at all (not a guess: costs no failure budget).</summary>
    NoCredential,

    /// <summary>A credential that is not the operator's.</summary>
    NotOperator,

    /// <summary>Not the operator's, and this address already spent its failure budget for that token prefix.</summary>
    TooManyFailures,
}

public readonly record struct OperatorVerdict(OperatorStatus Status, TimeSpan RetryAfter = default)
{
    public bool IsOperator => Status == OperatorStatus.Operator;

    /// <summary>The answer to a request that is not the operator's: 401, 403 or 429 + Retry-After; null for the operator.</summary>
    public ProblemHttpResult? Refusal(HttpContext context, string detail) => Status switch
    {
        OperatorStatus.Operator => null,
        OperatorStatus.NoCredential => ApiProblem.Unauthenticated().ToResult(context),
        OperatorStatus.TooManyFailures => ApiProblem.RateLimited(RetryAfter).ToResult(context),
        _ => ApiProblem.Forbidden(detail).ToResult(context),
    };
}

/// <summary>The check on a node without identity (no <c>api</c> role): nobody is the operator, closed by default.</summary>
public sealed class NoOperatorCheck : IOperatorCheck
{
    public OperatorVerdict Check(HttpContext context) => new(OperatorStatus.NotOperator);
}
