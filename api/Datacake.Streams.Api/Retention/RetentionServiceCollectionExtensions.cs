using Datacake.Streams.Api.Access;
using Datacake.Streams.Backups;
using Datacake.Streams.Influx.Client;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Datacake.Streams.Api.Retention;

public static class RetentionServiceCollectionExtensions
{
    /// <summary>
    /// The tiers for any role that writes or queries: options (section "Retention", validated at start), the live
    /// catalog, the provisioner with its backfill queue, and start-up provisioning. Needs an InfluxClient. Safe to
    /// call more than once.
    /// </summary>
    public static IServiceCollection AddRetentionTiers(this IServiceCollection services)
    {
        if (services.Any(s => s.ServiceType == typeof(RetentionCatalog)))
        {
            return services;
        }

        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<IValidateOptions<RetentionTiersOptions>, RetentionTiersOptionsValidator>();
        services.AddOptions<RetentionTiersOptions>().BindConfiguration(RetentionTiersOptions.Section).ValidateOnStart();
        services.AddSingleton<RetentionCatalog>();
        services.AddSingleton<RetentionBackfills>();
        services.AddSingleton<RollupLedger>();
        services.AddSingleton<RetentionProvisioner>();
        services.AddSingleton(sp => new StorageLayoutMigration(sp.GetRequiredService<InfluxClient>()));
        services.AddSingleton<RetentionService>();
        services.AddHostedService(sp => sp.GetRequiredService<RetentionService>());

        // Until identity registers the real check, nobody is an operator: closed by default.
        services.TryAddSingleton<IOperatorCheck, NoOperatorCheck>();
        return services;
    }

    /// <summary>
    /// The rollup refresher (<see cref="RollupRefresher"/>), for the api role: it keeps m1 and h1 current and folds in
    /// late points. Needs <see cref="AddRetentionTiers"/>. Safe to call more than once.
    /// </summary>
    public static IServiceCollection AddRollupRefresher(this IServiceCollection services)
    {
        if (services.Any(s => s.ServiceType == typeof(RollupRefresher)))
        {
            return services;
        }

        services.AddSingleton<RollupMetrics>();
        services.AddSingleton<RollupRefresher>();
        services.AddHostedService(sp => sp.GetRequiredService<RollupRefresher>());
        return services;
    }
}
