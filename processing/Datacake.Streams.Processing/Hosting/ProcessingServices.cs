using Datacake.Streams.Access;
using Datacake.Streams.Processing.Decoding;
using Datacake.Streams.Processing.Dedup;
using Datacake.Streams.Processing.Pipeline;
using Datacake.Streams.Processing.Replay;
using Datacake.Streams.Processing.State;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Datacake.Streams.Processing.Hosting;

public static class ProcessingServices
{
    /// <summary>
    /// The processing role: options (section "Processing"), the pipeline as a hosted service, its metrics and a
    /// readiness check. Needs the core services (record log, InfluxDB client, signer, registry view, TimeProvider).
    /// The verdicts are <see cref="GuardedVerdicts"/> (replay guard + dedup persisted under
    /// <see cref="ProcessingOptions.StateDirectory"/>, all payload decoders); a registered <see cref="IRecordVerdicts"/> wins.
    /// </summary>
    public static IServiceCollection AddProcessing(this IServiceCollection services, string dataDirectory)
    {
        services.AddSingleton<IValidateOptions<ProcessingOptions>, ProcessingOptionsValidator>();
        services.AddOptions<ProcessingOptions>().BindConfiguration(ProcessingOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ReplayGuardOptions>, ReplayGuardOptionsValidator>();
        services.AddOptions<ReplayGuardOptions>().BindConfiguration(ReplayGuardOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<DuplicateFilterOptions>, DuplicateFilterOptionsValidator>();
        services.AddOptions<DuplicateFilterOptions>().BindConfiguration(DuplicateFilterOptions.Section).ValidateOnStart();
        services.AddPayloadDecoders();
        services.TryAddSingleton<IRecordVerdicts>(sp => new GuardedVerdicts(
            new PartitionStateStore(StateDirectory(sp.GetRequiredService<IOptions<ProcessingOptions>>().Value, dataDirectory)),
            sp.GetRequiredService<IOptions<ReplayGuardOptions>>().Value,
            sp.GetRequiredService<IOptions<DuplicateFilterOptions>>().Value,
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<RegistryView>(),
            sp.GetRequiredService<UplinkDecoder>(),
            sp.GetService<ILogger<GuardedVerdicts>>()));
        services.TryAddSingleton(sp => new ProcessingMetrics(sp.GetService<System.Diagnostics.Metrics.IMeterFactory>()));
        services.AddSingleton<ProcessingService>();
        services.AddHostedService(sp => sp.GetRequiredService<ProcessingService>());
        services.AddHealthChecks()
            .AddCheck<ProcessingHealthCheck>("processing", tags: ["ready"])
            .AddCheck<ProcessingLivenessCheck>("processing-live", tags: ["live"]);
        return services;
    }

    /// <summary>
    /// The payload decoders (section "Processing:JavaScript"): one <see cref="JavaScriptDecoder"/> per process (its
    /// compiled-script cache and idle engines are shared), the device and uplink decoders, and the dry run of the API.
    /// Safe to call from several areas.
    /// </summary>
    public static IServiceCollection AddPayloadDecoders(this IServiceCollection services)
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<JavaScriptDecoderOptions>, JavaScriptDecoderOptionsValidator>());
        services.AddOptions<JavaScriptDecoderOptions>().BindConfiguration(JavaScriptDecoderOptions.Section).ValidateOnStart();
        services.TryAddSingleton(sp => new JavaScriptDecoder(
            sp.GetRequiredService<IOptions<JavaScriptDecoderOptions>>().Value,
            sp.GetService<TimeProvider>(),
            sp.GetService<ILogger<JavaScriptDecoder>>()));
        services.TryAddSingleton(sp => new DevicePayloadDecoder(sp.GetRequiredService<RegistryView>(), sp.GetRequiredService<JavaScriptDecoder>()));
        services.TryAddSingleton(sp => new UplinkDecoder(sp.GetRequiredService<DevicePayloadDecoder>()));
        services.TryAddSingleton(sp => new DecoderDryRun(sp.GetRequiredService<JavaScriptDecoder>()));
        return services;
    }

    /// <summary>
    /// The configured folder, else <c>&lt;data folder&gt;/processing/state</c>. The data folder is the host's to say
    /// (passed in): processing reads no other area's configuration keys.
    /// </summary>
    public static string StateDirectory(ProcessingOptions options, string dataDirectory)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(dataDirectory);
        return string.IsNullOrWhiteSpace(options.StateDirectory)
            ? Path.Combine(Path.GetFullPath(dataDirectory), "processing", "state")
            : Path.GetFullPath(options.StateDirectory);
    }
}
