using Datacake.Streams.RecordLog;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Datacake.Streams.Log.Kafka;

/// <summary>Registers the Kafka record log for a host that chose Kafka over the embedded FasterLog.</summary>
public static class KafkaRecordLogServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="IRecordLog"/> as a <see cref="KafkaRecordLog"/> built from <see cref="KafkaRecordLogOptions"/>,
    /// bound from section <see cref="KafkaRecordLogOptions.Section"/> and validated when the host starts. A host that
    /// still reads an older section binds it before calling this, so that the keys of this section win.
    /// </summary>
    public static IServiceCollection AddKafkaRecordLog(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<KafkaRecordLogOptions>, KafkaRecordLogOptionsValidator>());
        services.AddOptions<KafkaRecordLogOptions>().BindConfiguration(KafkaRecordLogOptions.Section).ValidateOnStart();
        services.TryAddSingleton<IRecordLog>(provider => new KafkaRecordLog(
            provider.GetRequiredService<IOptions<KafkaRecordLogOptions>>().Value,
            provider.GetService<ILogger<KafkaRecordLog>>()));
        return services;
    }
}
