using Datacake.Streams.Access;
using Datacake.Streams.Ingest.Publishing;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Datacake.Streams.Ingest.Bridge;

/// <summary>Runs the configured bridges with the host (role ingest): each connects in the background, and stops with the host.</summary>
public sealed class MqttBridgeService(
    IOptions<BridgeOptions> options,
    RawRecordAppender appender,
    RegistryView registry,
    TimeProvider time,
    ILoggerFactory loggers) : IHostedService
{
    private readonly List<MqttBridge> _bridges = [];

    /// <summary>The running bridges (for health and a future status API).</summary>
    public IReadOnlyList<MqttBridge> Bridges => _bridges;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var definition in options.Value.Bridges)
        {
            if (definition.Enabled)
            {
                var bridge = new MqttBridge(definition, appender, registry, time, loggers.CreateLogger<MqttBridge>());
                _bridges.Add(bridge);
                bridge.Start();
            }
        }

        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await Task.WhenAll(_bridges.Select(b => b.DisposeAsync().AsTask())).ConfigureAwait(false);
        _bridges.Clear();
    }
}
