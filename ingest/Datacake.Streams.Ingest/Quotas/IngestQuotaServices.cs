using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Datacake.Streams.Ingest.Quotas;

public static class IngestQuotaServices
{
    /// <summary>
    /// The one <see cref="WorkspaceIngestQuota"/> of the node, whichever ingest edges register it (device ingest and
    /// webhooks both do; the first registration wins), with its options checked at start-up.
    /// </summary>
    public static IServiceCollection AddWorkspaceIngestQuota(this IServiceCollection services)
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<IngestQuotaOptions>, IngestQuotaOptionsValidator>());
        if (!services.Any(d => d.ServiceType == typeof(WorkspaceIngestQuota)))
        {
            services.AddOptions<IngestQuotaOptions>().BindConfiguration(IngestQuotaOptions.Section).ValidateOnStart();
            services.AddSingleton<WorkspaceIngestQuota>();
        }

        return services;
    }
}
