using Microsoft.Extensions.Time.Testing;

namespace Datacake.Streams.TestSupport;

/// <summary>
/// A fake clock whose wall time can be stepped back, as an operator or NTP sets a host's clock: <see cref="GetUtcNow"/>
/// jumps, while timers, delays and <see cref="TimeProvider.GetTimestamp"/> keep running forward, as the monotonic
/// clock under them does. <see cref="FakeTimeProvider"/> itself refuses to go back in time.
/// </summary>
public sealed class SteppedClock(DateTimeOffset start) : FakeTimeProvider(start)
{
    private TimeSpan _behind;

    /// <summary>How far the wall clock now is behind the monotonic time that drives timers.</summary>
    public TimeSpan Behind => _behind;

    public override DateTimeOffset GetUtcNow() => base.GetUtcNow() - _behind;

    // From the unstepped time: elapsed-time measurements (token buckets, timeouts) never see the step.
    public override long GetTimestamp() => base.GetUtcNow().UtcTicks;

    /// <summary>Sets the wall clock back by <paramref name="step"/>; nothing that waits is woken or delayed by it.</summary>
    public void StepBack(TimeSpan step)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(step, TimeSpan.Zero);
        _behind += step;
    }
}
