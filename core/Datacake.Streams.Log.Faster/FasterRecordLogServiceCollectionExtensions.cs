using Datacake.Streams.RecordLog;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Datacake.Streams.RecordLog.Faster;

/// <summary>Registers the embedded FasterLog record log, the default backend of a single machine.</summary>
public static class FasterRecordLogServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="IRecordLog"/> as a <see cref="FasterRecordLog"/> under <paramref name="logDirectory"/>, with
    /// the other settings bound from section <see cref="FasterRecordLogOptions.Section"/> and validated when the host
    /// starts. The folder is the host's to decide (its data folder), not a key: it is set after binding, so a
    /// <c>DataDirectory</c> key in the section changes nothing.
    /// </summary>
    public static IServiceCollection AddFasterRecordLog(this IServiceCollection services, string logDirectory)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(logDirectory);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<FasterRecordLogOptions>, FasterRecordLogOptionsValidator>());
        services.AddOptions<FasterRecordLogOptions>()
            .BindConfiguration(FasterRecordLogOptions.Section)
            .PostConfigure(options => options.DataDirectory = logDirectory)
            .ValidateOnStart();

        // Opening recovers every partition from disk; the host waits for it once at start-up.
        services.TryAddSingleton<IRecordLog>(sp => FasterRecordLog.OpenAsync(
                sp.GetRequiredService<IOptions<FasterRecordLogOptions>>().Value,
                sp.GetService<TimeProvider>() ?? TimeProvider.System)
            .GetAwaiter().GetResult());
        return services;
    }
}
