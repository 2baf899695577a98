using Datacake.Streams.Access;

namespace Datacake.Streams.Api.Access;

/// <summary>
/// <see cref="IOperatorCheck"/> for the operator endpoints (retention, backups): the request's bearer token hashes to
/// the operator credential. Nothing else is an operator, and the operator is nothing else: workspace endpoints refuse
/// it through <see cref="CallerResolver"/>.
/// </summary>
internal sealed class OperatorTokenCheck(OperatorCredential credential) : IOperatorCheck
{
    private const string BearerScheme = "Bearer ";

    public bool IsOperator(HttpContext context)
    {
        string? header = context.Request.Headers.Authorization;
        return header is not null
            && header.StartsWith(BearerScheme, StringComparison.OrdinalIgnoreCase)
            && credential.Matches(TokenHash.Of(header.AsSpan(BearerScheme.Length).Trim()));
    }
}
