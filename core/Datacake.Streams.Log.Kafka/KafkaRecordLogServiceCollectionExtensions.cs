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
    /// Registers <see cref="IRecordLog"/> as a <see cref="KafkaRecordLog"/> built from <see cref="KafkaRecordLogOptions"/>
    /// with the options validated when the log is first resolved. The options' properties are init-only: bind them
    /// from configuration in the host (<c>services.Configure&lt;KafkaRecordLogOptions&gt;(section)</c>).
    /// </summary>
    public static IServiceCollection AddKafkaRecordLog(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<KafkaRecordLogOptions>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<KafkaRecordLogOptions>, KafkaRecordLogOptionsValidator>());
        services.TryAddSingleton<IRecordLog>(provider => new KafkaRecordLog(
            provider.GetRequiredService<IOptions<KafkaRecordLogOptions>>().Value,
            provider.GetService<ILogger<KafkaRecordLog>>()));
        return services;
    }
}
