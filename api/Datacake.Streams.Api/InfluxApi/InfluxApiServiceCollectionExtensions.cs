using Datacake.Streams.InfluxApi;
using Datacake.Streams.Api.Queries;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Datacake.Streams.Api.InfluxApi;

public static class InfluxApiServiceCollectionExtensions
{
    /// <summary>The InfluxDB v1 read API (section "InfluxApi"); needs what <see cref="QueryServiceCollectionExtensions.AddQueryApi"/> and the retention tiers register.</summary>
    public static IServiceCollection AddInfluxApi(this IServiceCollection services)
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<InfluxApiOptions>, InfluxApiOptionsValidator>());
        services.AddOptions<InfluxApiOptions>().BindConfiguration(InfluxApiOptions.Section).ValidateOnStart();
        services.TryAddSingleton<InfluxSelect>();
        services.TryAddSingleton<InfluxQueryRunner>();
        return services;
    }
}
