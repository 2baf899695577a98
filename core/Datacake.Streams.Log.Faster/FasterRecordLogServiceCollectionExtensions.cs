using Datacake.Streams.RecordLog;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Datacake.Streams.RecordLog.Faster;

/// <summary>Registers the embedded FasterLog record log, the default backend of a single machine.</summary>
public static class FasterRecordLogServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="IRecordLog"/> as a <see cref="FasterRecordLog"/> under <paramref name="logDirectory"/>, with
    /// the other settings from section <see cref="FasterRecordLogOptions.Section"/>, validated when the log is first
    /// resolved (the host resolves it at start-up). The folder is the host's to decide (its data folder), not a key.
    /// </summary>
    public static IServiceCollection AddFasterRecordLog(this IServiceCollection services, IConfiguration configuration, string logDirectory)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        var options = (configuration.GetSection(FasterRecordLogOptions.Section).Get<FasterRecordLogOptions>() ?? new FasterRecordLogOptions())
            with { DataDirectory = logDirectory };
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<FasterRecordLogOptions>, FasterRecordLogOptionsValidator>());
        services.TryAddSingleton<IRecordLog>(sp =>
        {
            foreach (var validator in sp.GetServices<IValidateOptions<FasterRecordLogOptions>>())
            {
                var result = validator.Validate(null, options);
                if (result.Failed)
                {
                    throw new OptionsValidationException(FasterRecordLogOptions.Section, typeof(FasterRecordLogOptions), result.Failures);
                }
            }

            // Opening recovers every partition from disk; the host waits for it once at start-up.
            return FasterRecordLog.OpenAsync(options, sp.GetService<TimeProvider>() ?? TimeProvider.System).GetAwaiter().GetResult();
        });
        return services;
    }
}
