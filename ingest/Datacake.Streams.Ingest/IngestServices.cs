using System.Security.Cryptography.X509Certificates;
using Datacake.Streams.EdgeAuth;
using Datacake.Streams.InfluxApi;
using Datacake.Streams.Ingest.Http;
using Datacake.Streams.Ingest.InfluxWrite;
using Datacake.Streams.Ingest.Mqtt;
using Datacake.Streams.Ingest.Publishing;
using Datacake.Streams.Ingest.Quotas;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Datacake.Streams.Ingest;

public static class IngestServices
{
    /// <summary>
    /// Device ingest: HTTP (map it with <see cref="DeviceIngestEndpoints.MapDeviceIngestApi"/> and InfluxDB's writes with <see cref="InfluxWriteEndpoints.MapInfluxWriteApi"/>) and the MQTT broker as a
    /// hosted service. Needs the core services (RegistryView, IRecordLog, AdapterSigner, TimeProvider).
    /// <paramref name="serverCertificate"/> is the host's certificate when one is configured: it enables MQTTS.
    /// </summary>
    public static IServiceCollection AddIngest(this IServiceCollection services, Func<X509Certificate2>? serverCertificate = null)
    {
        if (serverCertificate is not null)
        {
            services.AddSingleton(new IngestCertificateSource(serverCertificate));
        }

        services.AddSingleton<IValidateOptions<HttpIngestOptions>, HttpIngestOptionsValidator>();
        services.AddOptions<HttpIngestOptions>().BindConfiguration(HttpIngestOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<MqttIngestOptions>>(sp => new MqttIngestOptionsValidator(sp.GetService<IngestCertificateSource>()));
        services.AddOptions<MqttIngestOptions>().BindConfiguration(MqttIngestOptions.Section).ValidateOnStart();
        services.AddFailedAuthenticationBudget().BindConfiguration(FailedAuthenticationOptions.Section).ValidateOnStart();

        services.AddWorkspaceIngestQuota();

        services.TryAddSingleton<RawRecordAppender>();
        services.AddSingleton(sp => new TokenRateLimiter(sp.GetRequiredService<IOptions<HttpIngestOptions>>().Value, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<DeviceIngestHandler>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<InfluxApiOptions>, InfluxApiOptionsValidator>());
        services.AddOptions<InfluxApiOptions>().BindConfiguration(InfluxApiOptions.Section).ValidateOnStart();
        services.AddSingleton<InfluxWriteHandler>();

        services.AddSingleton<MqttIngestServer>();
        services.AddHostedService(sp => sp.GetRequiredService<MqttIngestServer>());
        return services;
    }
}
