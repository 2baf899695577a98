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

/// <summary>Runs the processing pipeline with the host: its own ActorSystem, started after the registry feed.</summary>
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
    private ProcessingPipeline? _pipeline;

    /// <summary>Committed positions and state of the running pipeline; null before start.</summary>
    public ProcessingProgress? Progress => _pipeline?.Progress;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // Authorizing records against a view that has not caught up would dead-letter valid ones as unknown_credential.
        await feed.WaitUntilCaughtUpAsync(cancellationToken).ConfigureAwait(false);
        _system = ActorSystem.Create("dcs-processing", s_config);
        _pipeline = new ProcessingPipeline(log, influx, signer, registry, verdicts, options.Value, _system, time, metrics, loggers, feed);
        _pipeline.Start();
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_pipeline is not null)
        {
            await _pipeline.StopAsync().ConfigureAwait(false);
        }

        if (_system is not null)
        {
            await _system.Terminate().ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None).ConfigureAwait(false);
        _system?.Dispose();
    }
}
