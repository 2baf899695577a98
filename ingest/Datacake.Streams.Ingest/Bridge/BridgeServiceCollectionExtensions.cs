using Datacake.Streams.Ingest.Publishing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Datacake.Streams.Ingest.Bridge;

public static class BridgeServiceCollectionExtensions
{
    /// <summary>
    /// The external broker bridges of <c>Ingest:Bridges</c>, validated at start-up, run by a hosted service. Needs the
    /// core services (record log, adapter signer, registry view, TimeProvider).
    /// </summary>
    public static IServiceCollection AddMqttBridges(this IServiceCollection services)
    {
        services.AddSingleton<IValidateOptions<BridgeOptions>, BridgeOptionsValidator>();
        services.AddOptions<BridgeOptions>().BindConfiguration(BridgeOptions.Section).ValidateOnStart();
        services.TryAddSingleton<RawRecordAppender>();
        services.AddSingleton<MqttBridgeService>();
        services.AddHostedService(sp => sp.GetRequiredService<MqttBridgeService>());
        return services;
    }
}
