using Datacake.Streams.Api.Metadata;
using Datacake.Streams.Backups;
using Datacake.Streams.EdgeAuth;
using Microsoft.Extensions.Options;

namespace Datacake.Streams.Api.Access;

/// <summary>
/// Registers what every API feature stands on: callers and their scopes, the metadata store, the operator credential,
/// the failed-authentication budget and the registry mirror. The host calls it on nodes with the api role; the
/// features' routes are mapped by the host's composition root, so this folder imports no feature.
/// </summary>
public static class AccessApi
{
    public static IServiceCollection AddAccessApi(this IServiceCollection services, IConfiguration configuration, string dataDirectory)
    {
        services.AddSingleton<IValidateOptions<AccessOptions>, AccessOptionsValidator>();
        services.AddOptions<AccessOptions>().BindConfiguration(AccessOptions.Section).ValidateOnStart();

        services.AddOperatorCheck(configuration, dataDirectory);
        services.AddSingleton(sp => SqliteMetadataStore.OpenAsync(dataDirectory).GetAwaiter().GetResult());
        services.AddSingleton<IMetadataStore>(sp => sp.GetRequiredService<SqliteMetadataStore>());
        services.AddSingleton<CallerResolver>();
        services.AddSingleton<AccessGuard>();
        services.AddSingleton<GrantableDevices>();
        services.AddSingleton<RegistryMirror>();
        services.AddSingleton<IDeviceReadAccess, StoreDeviceReadAccess>();
        services.AddSingleton<IMetadataSnapshot>(sp => sp.GetRequiredService<SqliteMetadataStore>());
        services.AddSingleton<IDeletedDevices, StoreDeletedDevices>();
        services.AddSingleton<RegistryReconciler>();
        services.AddHostedService(sp => sp.GetRequiredService<RegistryReconciler>());
        return services;
    }

    /// <summary>
    /// The operator credential and its check, on every node whatever its roles: /readyz details and /metrics answer the
    /// operator on a process-only node too. The first registration wins, so the api role calling it again is harmless.
    /// </summary>
    public static IServiceCollection AddOperatorCheck(this IServiceCollection services, IConfiguration configuration, string dataDirectory)
    {
        if (services.Any(d => d.ServiceType == typeof(OperatorCredential)))
        {
            return services;
        }

        services.AddSingleton<IValidateOptions<AccessOptions>, AccessOptionsValidator>();
        services.AddOptions<AccessOptions>().BindConfiguration(AccessOptions.Section).ValidateOnStart();

        // Made at registration, like the node keys, so that operator.token exists as soon as the host is up.
        var access = configuration.GetSection(AccessOptions.Section).Get<AccessOptions>() ?? new AccessOptions();
        services.AddSingleton(OperatorCredential.Load(access, dataDirectory));
        services.AddFailedAuthenticationBudget().BindConfiguration(FailedAuthenticationOptions.Section).ValidateOnStart();
        services.AddSingleton<IOperatorCheck, OperatorTokenCheck>();
        return services;
    }
}
