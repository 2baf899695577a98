using Datacake.Streams.Api.Access;
using Datacake.Streams.Api.Retention;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Datacake.Streams.Api.Queries;

public static class QueryServiceCollectionExtensions
{
    /// <summary>
    /// Series, last values and Grafana: limits (section "Queries"), and the reader (the host registers the retention tiers it plans
    /// over). Needs an InfluxClient and, from identity, an <see cref="IDeviceReadAccess"/>; until one is registered
    /// every request is unauthenticated (closed by default).
    /// </summary>
    public static IServiceCollection AddQueryApi(this IServiceCollection services)
    {
        services.AddSingleton<IValidateOptions<QueryLimits>, QueryLimitsValidator>();
        services.AddOptions<QueryLimits>().BindConfiguration(QueryLimits.Section).ValidateOnStart();
        services.TryAddSingleton<ExactPlanner>();
        services.TryAddSingleton<SeriesReader>();
        services.AddRollupRefresher();
        services.TryAddSingleton<IDeviceReadAccess, NoReadAccess>();
        return services;
    }

    private sealed class NoReadAccess : IDeviceReadAccess
    {
        public ValueTask<DeviceReadScope> ResolveAsync(HttpContext context, CancellationToken cancellationToken) =>
            ValueTask.FromResult(new DeviceReadScope(ReadScopeStatus.Unauthenticated));
    }
}
