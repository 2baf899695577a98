using Datacake.Streams.Api.Audit;

namespace Datacake.Streams.UnitTests.Api.Audit;

public sealed class AuditScopeTests
{
    [Theory]
    [InlineData("/v1/users", AuditScope.Rule.Operator)]
    [InlineData("/v1/users/{id}/disable", AuditScope.Rule.Operator)]
    [InlineData("/v1/ops/retention/", AuditScope.Rule.Operator)]
    [InlineData("/v1/ops/workspaces/{id}/quota/", AuditScope.Rule.Operator)]
    [InlineData("/v1/workspaces", AuditScope.Rule.CreatedWorkspace)]
    [InlineData("/v1/workspaces/{id}/members/{userId}", AuditScope.Rule.Workspace)]
    [InlineData("/v1/devices/{id}/restore", AuditScope.Rule.Device)]
    [InlineData("/v1/tokens/{id}/rotate", AuditScope.Rule.Token)]
    [InlineData("/v1/webhooks/{id}", AuditScope.Rule.Webhook)]
    [InlineData("/v1/decoders/{id}", AuditScope.Rule.Decoder)]
    [InlineData("/v1/invitations/{id}/accept", AuditScope.Rule.Invitation)]
    [InlineData("/v1/me/tokens", AuditScope.Rule.Caller)]
    [InlineData("/v1/somethingnew/{id}", AuditScope.Rule.Unknown)]
    public void A_route_pattern_names_the_trail_of_its_changes(string pattern, AuditScope.Rule rule) =>
        Assert.Equal(rule, AuditScope.RuleOf(pattern));
}
