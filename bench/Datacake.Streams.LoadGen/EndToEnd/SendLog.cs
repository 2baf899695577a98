using System.Diagnostics;

namespace Datacake.Streams.LoadGen.EndToEnd;

/// <summary>
/// When each send began, as (Stopwatch timestamp, points whose send had begun by then): the sending side of the
/// latency estimate. One entry per request or publish: ~3,000 for 3M points over HTTP, one per MQTT message.
/// </summary>
internal sealed class SendLog
{
    private readonly Lock _gate = new();
    private readonly List<(long Timestamp, long Cumulative)> _entries = [];
    private long _cumulative;

    /// <summary>Records that a send of <paramref name="count"/> points starts now.</summary>
    public void Begin(int count)
    {
        lock (_gate)
        {
            // Taken inside the lock so that both columns grow together: the estimate binary-searches them.
            _cumulative += count;
            _entries.Add((Stopwatch.GetTimestamp(), _cumulative));
        }
    }

    public IReadOnlyList<(long Timestamp, long Cumulative)> Entries
    {
        get
        {
            lock (_gate)
            {
                return [.. _entries];
            }
        }
    }
}
