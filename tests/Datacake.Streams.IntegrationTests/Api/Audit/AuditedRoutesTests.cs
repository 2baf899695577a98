using Datacake.Streams.Api.Audit;
using Datacake.Streams.IntegrationTests.Api.Access;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Datacake.Streams.IntegrationTests.Api.Audit;

/// <summary>
/// The route list is the host's own, not a list written by hand: every route of the composed host that changes things
/// is audited and finds its trail, and ingest (the hot path) is not.
/// </summary>
public sealed class AuditedRoutesTests
{
    private static readonly string[] _changes = ["POST", "PUT", "PATCH", "DELETE"];

    [Fact]
    public async Task Every_changing_api_route_of_the_host_writes_to_a_trail_and_ingest_does_not()
    {
        var data = Directory.CreateTempSubdirectory("dcs-audit-routes-");
        try
        {
            await using var host = await InProcessHost.StartAsync(data.FullName, Datacake.Streams.Access.AccessToken.New().Secret);
            var endpoints = host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
                .Where(e => e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods.Any(_changes.Contains) == true)
                .ToArray();
            var audited = endpoints.Where(e => e.Metadata.GetMetadata<AuditedChanges>() is not null && e.Metadata.GetMetadata<ChangesNothing>() is null).ToArray();

            Assert.All(audited, e => Assert.NotEqual(AuditScope.Rule.Unknown, AuditScope.RuleOf(e.RoutePattern.RawText!)));
            Assert.True(audited.Length >= 25, $"only {audited.Length} audited routes: {string.Join(", ", audited.Select(e => e.RoutePattern.RawText))}");

            var unaudited = endpoints.Except(audited).Select(e => e.RoutePattern.RawText!).Order().ToArray();
            // Ingest (device measurements, webhooks, InfluxDB line protocol) and reads that are POSTs (queries, dry runs).
            Assert.Equal(["/api/v2/write", "/query", "/v1/decoders/{id}/test", "/v1/devices/{id}/measurements", "/v1/query", "/v1/webhooks/{id}", "/write"], unaudited);
        }
        finally
        {
            data.Delete(recursive: true);
        }
    }
}
