using System.Diagnostics;

namespace Datacake.Streams.LoadGen.EndToEnd;

/// <summary>
/// An open-loop pace: by elapsed time t, <c>rate × t</c> points may have been sent, whatever the system's answers
/// did meanwhile (a sender that fell behind catches up, so a slow system shows as latency, not as a lower offer). A
/// timer wakes waiting senders every tick; nothing sleeps per message, and the release is computed from the clock, so
/// late ticks do not lower the rate.
/// </summary>
internal sealed class OfferedRate : IDisposable
{
    private static readonly TimeSpan _tick = TimeSpan.FromMilliseconds(5);

    private readonly double _perSecond;
    private readonly TimeProvider _time;
    private readonly long _start;
    private readonly PeriodicTimer _timer;
    private readonly CancellationTokenSource _stop = new();
    private TaskCompletionSource _nextTick = NewTick();

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

    /// <summary>Completes at the next tick, when more points have been released.</summary>
    public Task NextTickAsync(CancellationToken cancellationToken) => Volatile.Read(ref _nextTick).Task.WaitAsync(cancellationToken);

    public void Dispose()
    {
        _stop.Cancel();
        _timer.Dispose();
        _stop.Dispose();
        Volatile.Read(ref _nextTick).TrySetResult();
    }

    private static TaskCompletionSource NewTick() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private async Task TickAsync()
    {
        try
        {
            while (await _timer.WaitForNextTickAsync(_stop.Token))
            {
                Interlocked.Exchange(ref _nextTick, NewTick()).TrySetResult();
            }
        }
        catch (OperationCanceledException)
        {
            // Disposed.
        }
    }
}
