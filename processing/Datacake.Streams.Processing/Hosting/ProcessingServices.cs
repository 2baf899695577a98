using Datacake.Streams.Processing.Pipeline;
using Datacake.Streams.Processing.Values;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Datacake.Streams.Processing.Hosting;

public static class ProcessingServices
{
    /// <summary>
    /// The processing role: options (section "Processing"), the pipeline as a hosted service, its metrics and a
    /// readiness check. Needs the core services (record log, InfluxDB client, signer, registry view, TimeProvider).
    /// A registered <see cref="IRecordVerdicts"/> wins over the built-in JSON-values one.
    /// </summary>
    public static IServiceCollection AddProcessing(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddSingleton<IValidateOptions<ProcessingOptions>, ProcessingOptionsValidator>();
        services.AddOptions<ProcessingOptions>().Bind(configuration.GetSection(ProcessingOptions.SectionName)).ValidateOnStart();
        services.TryAddSingleton<IRecordVerdicts>(_ => new InMemoryVerdicts());
        services.TryAddSingleton(sp => new ProcessingMetrics(sp.GetService<System.Diagnostics.Metrics.IMeterFactory>()));
        services.AddSingleton<ProcessingService>();
        services.AddHostedService(sp => sp.GetRequiredService<ProcessingService>());
        services.AddHealthChecks().AddCheck<ProcessingHealthCheck>("processing", tags: ["ready"]);
        return services;
    }
}
