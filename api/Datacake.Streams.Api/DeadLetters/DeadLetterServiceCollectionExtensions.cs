using Microsoft.Extensions.Options;

namespace Datacake.Streams.Api.DeadLetters;

public static class DeadLetterServiceCollectionExtensions
{
    /// <summary>
    /// The owners' view of <c>dcs.deadletter</c> (section "DeadLetters"): the bounded index and the feed that fills it.
    /// Needs the record log and the registry feed (the host's core services) and an <c>IDeviceReadAccess</c>.
    /// </summary>
    public static IServiceCollection AddDeadLetterApi(this IServiceCollection services)
    {
        services.AddSingleton<IValidateOptions<DeadLetterOptions>, DeadLetterOptionsValidator>();
        services.AddOptions<DeadLetterOptions>().BindConfiguration(DeadLetterOptions.Section).ValidateOnStart();
        services.AddSingleton<DeadLetterIndex>();
        services.AddSingleton<DeadLetterFeed>();
        services.AddHostedService(sp => sp.GetRequiredService<DeadLetterFeed>());
        return services;
    }
}
