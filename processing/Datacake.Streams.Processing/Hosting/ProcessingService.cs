using Akka.Actor;
using Akka.Configuration;
using Datacake.Streams.Access;
using Datacake.Streams.Influx.Client;
using Datacake.Streams.Processing.Pipeline;
using Datacake.Streams.RecordLog;
using Datacake.Streams.Records;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Datacake.Streams.Processing.Hosting;

/// <summary>
/// Runs the processing pipeline with the host: its own ActorSystem, started after the registry feed, supervised by a
/// <see cref="PipelineSupervisor"/> that starts it again after an unexpected failure.
/// </summary>
public sealed class ProcessingService(
    IRecordLog log,
    InfluxClient influx,
    AdapterSigner signer,
    RegistryView registry,
    RegistryFeed feed,
    IRecordVerdicts verdicts,
    IOptions<ProcessingOptions> options,
    ProcessingMetrics metrics,
    TimeProvider time,
    ILoggerFactory loggers) : IHostedService, IAsyncDisposable
{
    // Akka's own logging goes nowhere by default; the pipeline logs through Microsoft.Extensions.Logging.
    private static readonly Config s_config = ConfigurationFactory.ParseString("""
        akka.loglevel = WARNING
        akka.stdout-loglevel = WARNING
        akka.coordinated-shutdown.run-by-clr-shutdown-hook = off
        akka.coordinated-shutdown.exit-clr = off
        """);

    private ActorSystem? _system;
    private PipelineSupervisor? _supervisor;

    /// <summary>Committed positions and state of the current pipeline run; null before start.</summary>
    public ProcessingProgress? Progress => _supervisor?.Current?.Progress;

    /// <summary>Times a failed pipeline was started again since the host started.</summary>
    public long Restarts => _supervisor?.Restarts ?? 0;

    /// <summary>How long processing has been down (<see cref="PipelineSupervisor.DownFor"/>); zero before start.</summary>
    public TimeSpan DownFor => _supervisor?.DownFor ?? TimeSpan.Zero;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // Authorizing records against a view that has not caught up would dead-letter valid ones as unknown_credential.
        await feed.WaitUntilCaughtUpAsync(cancellationToken).ConfigureAwait(false);
        var system = ActorSystem.Create("dcs-processing", s_config);
        _system = system;
        var poison = new PoisonRecords();
        _supervisor = new PipelineSupervisor(
            () => new ProcessingPipeline(log, influx, signer, registry, verdicts, options.Value, system, time, metrics, loggers, feed, poison),
            options.Value,
            metrics,
            time,
            loggers.CreateLogger<PipelineSupervisor>(),
            poison);
        _supervisor.Start();
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_supervisor is not null)
        {
            await _supervisor.StopAsync().ConfigureAwait(false);
        }

        if (_system is not null)
        {
            await _system.Terminate().ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None).ConfigureAwait(false);
        if (_supervisor is not null)
        {
            await _supervisor.DisposeAsync().ConfigureAwait(false);
        }

        _system?.Dispose();
    }
}
