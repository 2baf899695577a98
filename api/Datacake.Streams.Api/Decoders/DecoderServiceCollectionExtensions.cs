using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Datacake.Streams.Api.Decoders;

public static class DecoderServiceCollectionExtensions
{
    /// <summary>The decoder API's own services: the dry run's per-caller limits (section "Decoders:DryRun").</summary>
    public static IServiceCollection AddDecoderApi(this IServiceCollection services)
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<DecoderDryRunLimits>, DecoderDryRunLimitsValidator>());
        services.AddOptions<DecoderDryRunLimits>().BindConfiguration(DecoderDryRunLimits.Section).ValidateOnStart();
        services.TryAddSingleton<DecoderDryRunLimiter>();
        return services;
    }
}
