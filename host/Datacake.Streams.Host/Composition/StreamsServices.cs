using Datacake.Streams.Hosting;
using Datacake.Streams.Access;
using Datacake.Streams.Hosting.Faults;
using Datacake.Streams.Influx.Client;
using Datacake.Streams.Log.Kafka;
using Datacake.Streams.RecordLog.Faster;
using Datacake.Streams.RecordLog;
using Datacake.Streams.Records;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Datacake.Streams.Hosting.Composition;

/// <summary>The shared services every role stands on: the record log, InfluxDB, the registry view, node keys.</summary>
public static partial class StreamsServices
{
    /// <summary>The Kafka log's former section; still read, below <see cref="KafkaRecordLogOptions.Section"/>.</summary>
    public const string LegacyKafkaSection = "Kafka";

    public static IServiceCollection AddStreamsCore(this IServiceCollection services, IConfiguration configuration, StreamsOptions streams)
    {
        services.AddSingleton(TimeProvider.System);

        var secrets = NodeSecrets.Load(configuration, streams);
        services.AddSingleton(secrets);
        services.AddSingleton(secrets.Keyring);
        services.AddSingleton<AdapterSigner>();

        services.AddSingleton<IValidateOptions<InfluxOptions>, InfluxOptionsValidator>();
        services.AddOptions<InfluxOptions>().BindConfiguration(InfluxOptions.Section).ValidateOnStart();
        services.AddSingleton(sp => new InfluxClient(
            sp.GetRequiredService<IOptions<InfluxOptions>>().Value,
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<InfluxClient>>()));

        services.AddRecordLog(streams);

        services.AddSingleton(sp => new RegistryView(sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(new RegistrySecretSealer(
            secrets.RegistryKey.AsSpan(0, RegistrySecretSealer.KeyLength),
            secrets.PreviousRegistryKey is { } previous ? previous.AsSpan(0, RegistrySecretSealer.KeyLength) : default));
        services.AddSingleton(new RegistryMac(secrets.RegistryKey, secrets.PreviousRegistryKey));
        services.AddSingleton(sp => new RegistryChangeCodec(sp.GetRequiredService<RegistryMac>(), sp.GetRequiredService<RegistrySecretSealer>()));
        services.AddSingleton(sp => new RegistryPublisher(sp.GetRequiredService<IRecordLog>(), sp.GetRequiredService<RegistryChangeCodec>()));
        // Not bound to a section (no key of it is documented); validated at start like every other options record.
        services.AddSingleton<IValidateOptions<RegistryFeedOptions>, RegistryFeedOptionsValidator>();
        services.AddOptions<RegistryFeedOptions>().ValidateOnStart();
        services.AddSingleton(sp => new RegistryFeed(
            sp.GetRequiredService<IRecordLog>(),
            sp.GetRequiredService<RegistryView>(),
            sp.GetRequiredService<RegistryChangeCodec>(),
            sp.GetRequiredService<IOptions<RegistryFeedOptions>>().Value,
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<RegistryFeed>>()));
        services.AddHostedService<RegistryFeedService>();

        services.AddHealthChecks()
            .AddCheck<RecordLogHealthCheck>("record-log", tags: [HealthEndpoints.ReadyTag])
            .AddCheck<InfluxHealthCheck>("influxdb", tags: [HealthEndpoints.ReadyTag])
            .AddCheck<RegistryHealthCheck>("registry", tags: [HealthEndpoints.ReadyTag]);
        return services;
    }

    /// <summary>
    /// The Kafka log (<see cref="KafkaRecordLogServiceCollectionExtensions.AddKafkaRecordLog"/>), with "Kafka", the
    /// section hosts bound before it moved beside RecordLog:Faster, bound first, so that a key under RecordLog:Kafka
    /// wins where both are set.
    /// </summary>
    public static IServiceCollection AddKafkaRecordLogWithLegacySection(this IServiceCollection services)
    {
        services.AddOptions<KafkaRecordLogOptions>().BindConfiguration(LegacyKafkaSection);
        return services.AddKafkaRecordLog();
    }

    private static void AddRecordLog(this IServiceCollection services, StreamsOptions streams)
    {
        switch (streams.RecordLog)
        {
            case RecordLogBackend.Kafka:
                services.AddKafkaRecordLogWithLegacySection();
                break;
            default:
                services.AddFasterRecordLog(Path.Combine(streams.FullDataDirectory, "log"));
                break;
        }

        if (KillAfterAppend.ArmedAppends() is { } appends)
        {
            // Wraps whichever log was chosen; without the test-only variable the log is registered untouched.
            var log = services.Last(d => d.ServiceType == typeof(IRecordLog));
            services.Remove(log);
            services.AddSingleton<IRecordLog>(sp =>
            {
                var logger = sp.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(KillAfterAppend));
                LogFaultArmed(logger, KillAfterAppend.Variable, appends);
                return new KillAfterAppend((IRecordLog)log.ImplementationFactory!(sp), appends, KillAfterAppend.KillThisProcess);
            });
        }
    }

    [LoggerMessage(Level = LogLevel.Critical, Message = "Fault injection armed by {Variable}: this process SIGKILLs itself after durable append {Appends} to dcs.raw, before replying. Never set it outside tests.")]
    private static partial void LogFaultArmed(ILogger logger, string variable, int appends);
}

/// <summary>Starts the registry feed with the host and stops it with the host.</summary>
internal sealed class RegistryFeedService(RegistryFeed feed) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => feed.StartAsync(cancellationToken);

    public async Task StopAsync(CancellationToken cancellationToken) => await feed.DisposeAsync();
}

internal sealed class RecordLogHealthCheck(IRecordLog log) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        await log.IsReachableAsync(cancellationToken)
            ? HealthCheckResult.Healthy()
            : HealthCheckResult.Unhealthy("the record log does not answer");
}

internal sealed class InfluxHealthCheck(InfluxClient influx) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(2));
            var ping = await influx.PingAsync(timeout.Token);
            return HealthCheckResult.Healthy($"InfluxDB {ping.Version} in {ping.RoundTrip.TotalMilliseconds:0} ms");
        }
        catch (Exception e) when (e is InfluxException or OperationCanceledException or HttpRequestException)
        {
            return HealthCheckResult.Unhealthy("InfluxDB does not answer: " + e.Message);
        }
    }
}

internal sealed class RegistryHealthCheck(RegistryFeed feed) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(
            !feed.IsRunning ? HealthCheckResult.Unhealthy("the registry feed is not running: the view no longer follows dcs.registry")
            : feed.StuckAt is { } stuck ? HealthCheckResult.Unhealthy($"the registry change at partition {stuck.Partition}, offset {stuck.Offset} fails to apply and is retried; the view misses it: {feed.LastError?.GetType().Name}")
            : !feed.IsCaughtUp ? HealthCheckResult.Unhealthy("the registry view is still catching up with dcs.registry")
            : feed.Failures == 0 ? HealthCheckResult.Healthy()
            : HealthCheckResult.Healthy($"{feed.Failures} failure(s) reading or applying changes since start, each logged; the last: {feed.LastError?.GetType().Name}"));
}
