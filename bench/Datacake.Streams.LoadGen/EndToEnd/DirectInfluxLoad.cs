using System.Net;
using System.Text;

namespace Datacake.Streams.LoadGen.EndToEnd;

/// <summary>
/// The database's own ceiling: W keep-alive writers posting line protocol batches straight to influxd, the points
/// spread over 100 series the way processing's batches mix devices.
/// </summary>
internal sealed class DirectInfluxLoad(Uri influx, string database, int writers, int batch) : INumberedLoad
{
    private const int Series = 100;
    private readonly InfluxEndpoint _influx = new(influx, writers);

    public string Description => $"influxd direct: {writers} writer(s), {batch} points per write";

    public Task ConnectAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task<bool> SendProbeAsync(long baseMs, CancellationToken cancellationToken)
    {
        var line = new StringBuilder();
        NumberedPoint.AppendLine(line, "probe", baseMs, NumberedPoint.ProbeSeq);
        return await _influx.WriteAsync(database, line.ToString(), cancellationToken) == HttpStatusCode.NoContent;
    }

    public Task RunAsync(SequenceSource sequence, long baseMs, SendLog sends, AckedRanges acks, CancellationToken cancellationToken) =>
        Task.WhenAll(Enumerable.Range(0, writers).Select(_ => Task.Run(
            async () =>
            {
                var lines = new StringBuilder(batch * 110);
                while (await sequence.ClaimAsync(batch, cancellationToken) is { Count: > 0 } claim)
                {
                    var (first, count) = claim;
                    lines.Clear();
                    for (var seq = first; seq < first + count; seq++)
                    {
                        NumberedPoint.AppendLine(lines, "d" + NumberedPoint.Modulo(seq, Series), baseMs, seq);
                    }

                    sends.Begin(count);

                    try
                    {
                        if (await _influx.WriteAsync(database, lines.ToString(), cancellationToken) == HttpStatusCode.NoContent)
                        {
                            acks.Add(first, count);
                        }
                        else
                        {
                            acks.Fail(count);
                        }
                    }
                    catch (HttpRequestException)
                    {
                        acks.Fail(count);
                    }
                }
            },
            cancellationToken)));

    public ValueTask DisposeAsync()
    {
        _influx.Dispose();
        return ValueTask.CompletedTask;
    }
}
