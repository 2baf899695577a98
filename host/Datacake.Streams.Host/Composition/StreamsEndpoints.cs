using Datacake.Streams.Hosting;
using Datacake.Streams.Hosting.Portal;
using Datacake.Streams.Api.Audit;
using Datacake.Streams.Api.Backups;
using Datacake.Streams.Api.DeadLetters;
using Datacake.Streams.Api.Decoders;
using Datacake.Streams.Api.Devices;
using Datacake.Streams.Api.Export;
using Datacake.Streams.Api.InfluxApi;
using Datacake.Streams.Api.Observability;
using Datacake.Streams.Api.Queries;
using Datacake.Streams.Api.Retention;
using Datacake.Streams.Api.Tokens;
using Datacake.Streams.Api.Users;
using Datacake.Streams.Api.Webhooks;
using Datacake.Streams.Api.Workspaces;
using Datacake.Streams.Api.Access;
using Datacake.Streams.Ingest.Http;
using Datacake.Streams.Ingest.InfluxWrite;
using Datacake.Streams.Ingest.Mqtt;
using Datacake.Streams.Ingest.Webhooks;
using Microsoft.Extensions.Options;

namespace Datacake.Streams.Hosting.Composition;

/// <summary>Every route of the node, by role: the one place that knows which feature is mapped where.</summary>
public static class StreamsEndpoints
{
    public static WebApplication MapStreamsEndpoints(this WebApplication app)
    {
        var roles = app.Services.GetRequiredService<IOptions<StreamsOptions>>().Value.ParsedRoles;

        // Before any endpoint reads the client's address (failure budgets, /metrics networks): only configured
        // proxies' forwarded headers count; with none configured the middleware is not there at all.
        if (app.Services.GetRequiredService<IOptions<ProxyOptions>>().Value.Configured)
        {
            app.UseForwardedHeaders();
        }

        app.MapHealthApi();
        app.MapObservabilityApi();
        if (roles.HasFlag(NodeRoles.Api))
        {
            // The portal's files before the routes: a file that exists is answered here, /v1 never names one.
            app.UsePortal();

            // Every successful change of these routes is written to a trail (workspace, person or operator).
            app.UseAuditTrail();
            var v1 = app.MapGroup("/v1").AddEndpointFilter<AccessEndpointFilter>().WithMetadata(AuditedChanges.Instance);
            v1.MapAuditApi();
            v1.MapUsersApi();
            v1.MapWorkspacesApi();
            v1.MapWorkspaceQuotaApi();
            v1.MapMembersApi();
            v1.MapDevicesApi();
            v1.MapTokensApi();
            v1.MapWebhooksApi();
            v1.MapDecodersApi();
            v1.MapDecoderTestApi();
            v1.MapMqttSettingsApi();
            app.MapQueryApi();
            app.MapDeadLetterApi();
            app.MapExportApi();
            app.MapInfluxApi();
            var operatorChanges = app.MapGroup(string.Empty).WithMetadata(AuditedChanges.Instance);
            operatorChanges.MapRetentionApi();
            operatorChanges.MapBackupApi();
        }

        // Mapped only where their services are registered (the ingest role).
        app.MapDeviceIngestApi();
        app.MapInfluxWriteApi();
        app.MapWebhookIngestApi();
        return app;
    }
}
