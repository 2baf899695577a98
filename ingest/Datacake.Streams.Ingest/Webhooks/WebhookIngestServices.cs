using Datacake.Streams.EdgeAuth;
using Datacake.Streams.Ingest.Publishing;
using Datacake.Streams.Ingest.Quotas;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Datacake.Streams.Ingest.Webhooks;

public static class WebhookIngestServices
{
    /// <summary>
    /// Webhook ingest for the <c>ingest</c> role: options (section <c>Ingest:Webhooks</c>, checked at start-up), the
    /// failed-authentication budget, the workspaces' ingest quota and the handler. Needs the registry view, the record log and the adapter signer.
    /// </summary>
    public static IServiceCollection AddWebhookIngest(this IServiceCollection services)
    {
        services.AddSingleton<IValidateOptions<WebhookIngestOptions>, WebhookIngestOptionsValidator>();
        services.AddOptions<WebhookIngestOptions>().BindConfiguration(WebhookIngestOptions.Section).ValidateOnStart();
        services.TryAddSingleton<RawRecordAppender>();
        services.AddFailedAuthenticationBudget().BindConfiguration(FailedAuthenticationOptions.Section).ValidateOnStart();
        services.AddWorkspaceIngestQuota();
        services.TryAddSingleton<WebhookIngestHandler>();
        return services;
    }

    /// <summary>Maps <c>POST /v1/webhooks/{id}</c> when <see cref="AddWebhookIngest"/> was called (the node has the ingest role).</summary>
    public static IEndpointRouteBuilder MapWebhookIngestApi(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        if (endpoints.ServiceProvider.GetService<WebhookIngestHandler>() is not { } handler)
        {
            return endpoints;
        }

        endpoints.MapPost("/v1/webhooks/{id}", (HttpContext context, string id) => handler.HandleAsync(context, id))
            .WithName("IngestWebhook")
            .WithTags("ingest");
        return endpoints;
    }
}
