using System.Diagnostics;
using System.Globalization;

namespace Datacake.Streams.LoadGen.EndToEnd;

/// <summary>
/// Follows points arriving in influxd from the moment the first point is sent: samples influxd's own write counter
/// every <c>interval</c> (the throughput-over-time series and the arrival side of the latency estimate) and decides
/// when the last acknowledged point is queryable.
/// </summary>
internal sealed class DeliveryWatch(InfluxEndpoint influx, string database, long firstSeq, TimeSpan interval)
{
    private readonly List<(double Seconds, long Written)> _samples = [];
    private readonly Stopwatch _clock = new();
    private long _baseline;

    public TimeSpan Elapsed => _clock.Elapsed;

    /// <summary>The <see cref="Stopwatch"/> timestamp of the start: second 0 of <see cref="Samples"/>.</summary>
    public long StartTimestamp { get; private set; }

    /// <summary>(seconds since the start, points written since the start), in time order.</summary>
    public IReadOnlyList<(double Seconds, long Written)> Samples => _samples;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _baseline = await influx.PointsWrittenAsync(cancellationToken);
        StartTimestamp = Stopwatch.GetTimestamp();
        _clock.Start();
        _samples.Add((0, 0));
    }

    /// <summary>Samples until the load has ended and the check is done; returns when nothing else is expected.</summary>
    public async Task SampleAsync(Task load, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(interval);
        while (!load.IsCompleted && await timer.WaitForNextTickAsync(cancellationToken))
        {
            await SampleOnceAsync(cancellationToken);
        }
    }

    /// <summary>
    /// After the load: waits until influxd has written at least <paramref name="acked"/> points since the start and a
    /// count of the numbered points confirms it, or until nothing was written for <paramref name="stall"/> (a system
    /// that lost points never gets there). Returns the seconds from the first send to the last point written.
    /// </summary>
    public async Task<double> WaitDeliveredAsync(long acked, TimeSpan stall, TimeSpan deadline, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(interval);
        var lastChange = _clock.Elapsed;
        var lastWritten = _samples[^1].Written;
        while (_clock.Elapsed < deadline && await timer.WaitForNextTickAsync(cancellationToken))
        {
            var (seconds, written) = await SampleOnceAsync(cancellationToken);
            if (written != lastWritten)
            {
                lastWritten = written;
                lastChange = _clock.Elapsed;
            }

            if (written >= acked && await influx.CountAsync(database, InfluxEndpoint.Where(firstSeq, below: false), cancellationToken) >= acked)
            {
                return seconds;
            }

            if (_clock.Elapsed - lastChange > stall)
            {
                break;
            }
        }

        return LastProgress();
    }

    /// <summary>Points written per second, one line per whole second: <c>second rate</c>.</summary>
    public async Task WriteTimelineAsync(string path, double endSeconds)
    {
        using var writer = new StreamWriter(path);
        var seconds = (int)Math.Ceiling(endSeconds);
        for (var s = 1; s <= Math.Max(seconds, 1); s++)
        {
            var rate = WrittenAt(s) - WrittenAt(s - 1);
            await writer.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"{s} {rate:0}"));
        }
    }

    private async Task<(double Seconds, long Written)> SampleOnceAsync(CancellationToken cancellationToken)
    {
        var written = await influx.PointsWrittenAsync(cancellationToken) - _baseline;
        var sample = (_clock.Elapsed.TotalSeconds, written);
        _samples.Add(sample);
        return sample;
    }

    private double LastProgress()
    {
        var last = _samples[^1].Written;
        return _samples.First(s => s.Written == last).Seconds;
    }

    /// <summary>Linear between samples, so that second buckets do not alias the 250 ms sampling.</summary>
    private double WrittenAt(double seconds)
    {
        for (var i = 1; i < _samples.Count; i++)
        {
            if (_samples[i].Seconds >= seconds)
            {
                var (s0, w0) = _samples[i - 1];
                var (s1, w1) = _samples[i];
                return s1 <= s0 ? w1 : w0 + ((w1 - w0) * (seconds - s0) / (s1 - s0));
            }
        }

        return _samples[^1].Written;
    }
}
