using System.Security.Cryptography;
using System.Text;
using Datacake.Streams.Influx.Client;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Datacake.Streams.Backups;

public static class BackupServiceCollectionExtensions
{
    /// <summary>
    /// Backups (the host registers them for the api role): options (section "Backup", validated at start), the backup service, restorer,
    /// scheduler and device purge. <c>Influx:BackupHost</c> (DCS_INFLUX_BACKUP_HOST) is the RPC address when
    /// <c>Backup:BackupHost</c> is not set. Without a configured second site, backups go to
    /// <c>&lt;data&gt;/backup-site-2</c>: fine for development, not a second site; production sets
    /// <c>Backup:SecondaryDirectory</c> to another disk or mount.
    /// </summary>
    public static IServiceCollection AddBackups(this IServiceCollection services, string dataDirectory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(dataDirectory);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<BackupOptions>, BackupOptionsValidator>());
        services.AddOptions<BackupOptions>()
            .BindConfiguration(BackupOptions.Section)
            .PostConfigure<IConfiguration>((options, configuration) => ApplyHostDefaults(options, configuration, dataDirectory))
            .ValidateOnStart();
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<BackupOptions>>().Value);
        services.AddSingleton(sp => new BackupService(
            sp.GetRequiredService<InfluxClient>(),
            sp.GetRequiredService<BackupOptions>(),
            sp.GetRequiredService<BackupOptions>().PrimaryPath(dataDirectory),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<BackupService>>(),
            sp.GetService<IMetadataSnapshot>()));
        services.AddSingleton(sp => new BackupRestorer(sp.GetRequiredService<BackupService>(), sp.GetRequiredService<TimeProvider>()));
        services.AddHostedService(sp => new BackupSchedulerGate(sp));
        services.AddHostedService<DevicePurgeService>();
        return services;
    }

    /// <summary>The defaults that depend on the host, filled in after binding: the RPC address and the two folders.</summary>
    private static void ApplyHostDefaults(BackupOptions options, IConfiguration configuration, string dataDirectory)
    {
        if (string.IsNullOrEmpty(configuration[$"{BackupOptions.Section}:BackupHost"]) && configuration["Influx:BackupHost"] is { Length: > 0 } host)
        {
            options.BackupHost = host;
        }

        if (string.IsNullOrWhiteSpace(options.SecondaryDirectory))
        {
            options.SecondaryDirectory = Path.Combine(dataDirectory, "backup-site-2");
        }

        if (string.IsNullOrWhiteSpace(options.Directory))
        {
            options.Directory = options.PrimaryPath(dataDirectory);
        }
    }

    /// <summary>Starts the scheduler only when backups are enabled.</summary>
    private sealed class BackupSchedulerGate(IServiceProvider services) : IHostedService
    {
        private BackupScheduler? _scheduler;

        public Task StartAsync(CancellationToken cancellationToken)
        {
            var options = services.GetRequiredService<BackupOptions>();
            if (!options.Enabled)
            {
                return Task.CompletedTask;
            }

            _scheduler = new BackupScheduler(
                services.GetRequiredService<BackupService>(), options, services.GetRequiredService<TimeProvider>(), services.GetRequiredService<ILogger<BackupScheduler>>());
            return _scheduler.StartAsync(cancellationToken);
        }

        public Task StopAsync(CancellationToken cancellationToken) => _scheduler?.StopAsync(cancellationToken) ?? Task.CompletedTask;
    }
}
