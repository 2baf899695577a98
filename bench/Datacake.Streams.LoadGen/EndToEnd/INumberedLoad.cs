namespace Datacake.Streams.LoadGen.EndToEnd;

/// <summary>One way of sending numbered points into a system: straight to influxd, HTTP ingest, or MQTT.</summary>
internal interface INumberedLoad : IAsyncDisposable
{
    string Description { get; }

    /// <summary>Opens connections before the clock starts.</summary>
    Task ConnectAsync(CancellationToken cancellationToken);

    /// <summary>Sends the probe point once; false if it was not acknowledged (the system may still be starting).</summary>
    Task<bool> SendProbeAsync(long baseMs, CancellationToken cancellationToken);

    /// <summary>
    /// Sends every number of <paramref name="sequence"/> once, recording when each send began in <paramref name="sends"/>
    /// and the acknowledged ones in <paramref name="acks"/>.
    /// </summary>
    Task RunAsync(SequenceSource sequence, long baseMs, SendLog sends, AckedRanges acks, CancellationToken cancellationToken);
}
