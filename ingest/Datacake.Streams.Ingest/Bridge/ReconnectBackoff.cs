namespace Datacake.Streams.Ingest.Bridge;

/// <summary>
/// The waits between connection attempts: <c>initial</c>, then doubling up to <c>max</c>; back to <c>initial</c> after
/// a session that went well. Without jitter: a node runs each bridge once, so there is no herd of clients to spread.
/// </summary>
public sealed class ReconnectBackoff
{
    private readonly TimeSpan _initial;
    private readonly TimeSpan _max;
    private TimeSpan _next;

    public ReconnectBackoff(TimeSpan initial, TimeSpan max)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(initial, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(max, initial);
        _initial = initial;
        _max = max;
        _next = initial;
    }

    /// <summary>The wait before the next attempt; each call without a <see cref="Reset"/> doubles the one after.</summary>
    public TimeSpan Next()
    {
        var delay = _next;
        _next = delay >= _max / 2 ? _max : delay * 2;
        return delay;
    }

    public void Reset() => _next = _initial;
}
