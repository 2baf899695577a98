using Datacake.Streams.EdgeAuth;

namespace Datacake.Streams.Api.Access;

/// <summary>
/// <see cref="IOperatorCheck"/> for the operator endpoints (retention, backups, metrics): the request's bearer token
/// hashes to the operator credential. Nothing else is an operator, and the operator is nothing else: workspace
/// endpoints refuse it through <see cref="CallerResolver"/>. Any other credential spends the failure budget of its
/// address and token prefix, so /v1/ops is no cheaper to guess at than the rest of the API.
/// </summary>
internal sealed class OperatorTokenCheck(OperatorCredential credential, FailedAuthenticationBudget failures) : IOperatorCheck
{
    public OperatorVerdict Check(HttpContext context)
    {
        var presented = EdgeCredentials.FromAuthorization(context.Request.Headers.Authorization);
        if (presented.IsMissing)
        {
            return new OperatorVerdict(OperatorStatus.NoCredential);
        }

        if (credential.Matches(presented.Hash()))
        {
            return new OperatorVerdict(OperatorStatus.Operator);
        }

        return failures.TrySpend(context.Connection.RemoteIpAddress, FailureScope.TokenPrefix(presented), out var retryAfter)
            ? new OperatorVerdict(OperatorStatus.NotOperator)
            : new OperatorVerdict(OperatorStatus.TooManyFailures, retryAfter);
    }
}
