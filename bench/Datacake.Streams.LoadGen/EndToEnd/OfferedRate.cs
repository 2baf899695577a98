using System.Diagnostics;

namespace Datacake.Streams.LoadGen.EndToEnd;

/// <summary>
/// An open-loop pace: by elapsed time t, <c>rate × t</c> points may have been sent, whatever the system's answers
/// did meanwhile (a sender that fell behind catches up, so a slow system shows as latency, not as a lower offer). A
/// timer turns the points released since its last tick into credits; a sender waits for credits, so each tick wakes
/// only as many senders as there are points to send, nothing sleeps per message, and the release is computed from the
/// clock, so late ticks do not lower the rate.
/// </summary>
internal sealed class OfferedRate : IDisposable
{
    private static readonly TimeSpan _tick = TimeSpan.FromMilliseconds(5);

    private readonly double _perSecond;
    private readonly TimeProvider _time;
    private readonly long _start;
    private readonly PeriodicTimer _timer;
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _credits = new(0, int.MaxValue);
    private long _credited;

    public OfferedRate(double perSecond, TimeProvider? time = null)
    {
        if (!(perSecond > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(perSecond), perSecond, "a rate above 0");
        }

        _perSecond = perSecond;
        _time = time ?? TimeProvider.System;
        _start = _time.GetTimestamp();
        _timer = new PeriodicTimer(_tick, _time);
        _ = TickAsync();
    }

    public double PerSecond => _perSecond;

    /// <summary>Points released so far: the offer up to now.</summary>
    public long Released => (long)(_perSecond * _time.GetElapsedTime(_start).TotalSeconds);

    /// <summary>Waits for one released point.</summary>
    public Task TakeAsync(CancellationToken cancellationToken) => _credits.WaitAsync(cancellationToken);

    /// <summary>Takes one released point if there is one now.</summary>
    public bool TryTake() => _credits.Wait(0);

    public void Dispose()
    {
        _stop.Cancel();
        _timer.Dispose();
        _stop.Dispose();
        _credits.Dispose();
    }

    private async Task TickAsync()
    {
        try
        {
            while (await _timer.WaitForNextTickAsync(_stop.Token))
            {
                var released = Released;
                var credit = (int)Math.Min(released - _credited, int.MaxValue / 2);
                if (credit > 0)
                {
                    _credited += credit;
                    _credits.Release(credit);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Disposed.
        }
    }
}
