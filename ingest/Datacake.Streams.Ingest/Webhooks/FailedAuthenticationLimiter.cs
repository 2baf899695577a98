using System.Collections.Concurrent;
using System.Net;

namespace Datacake.Streams.Ingest.Webhooks;

/// <summary>
/// Counts failed webhook authentications per client IP in fixed windows; past the limit the address gets 429 until
/// its window ends, so guessing tokens or signatures costs an attacker a window per few attempts.
/// </summary>
public sealed class FailedAuthenticationLimiter(TimeProvider timeProvider, int maxFailures, TimeSpan window, int maxTrackedClients)
{
    private readonly ConcurrentDictionary<IPAddress, Window> _clients = new();

    public int TrackedClients => _clients.Count;

    /// <summary>True when <paramref name="client"/> used up its failures in the current window; <paramref name="retryAfter"/> says until when.</summary>
    public bool IsBlocked(IPAddress? client, out TimeSpan retryAfter)
    {
        retryAfter = TimeSpan.Zero;
        if (client is null || !_clients.TryGetValue(client, out var current))
        {
            return false;
        }

        var now = timeProvider.GetUtcNow();
        if (now >= current.Ends || current.Failures < maxFailures)
        {
            return false;
        }

        retryAfter = current.Ends - now;
        return true;
    }

    public void RecordFailure(IPAddress? client)
    {
        if (client is null)
        {
            return;
        }

        var now = timeProvider.GetUtcNow();
        if (_clients.Count >= maxTrackedClients && !_clients.ContainsKey(client))
        {
            Sweep(now);
        }

        _clients.AddOrUpdate(
            client,
            static (_, state) => new Window(state.now + state.window, 1),
            static (_, old, state) => state.now >= old.Ends ? new Window(state.now + state.window, 1) : old with { Failures = old.Failures + 1 },
            (now, window));
    }

    private void Sweep(DateTimeOffset now)
    {
        foreach (var (address, entry) in _clients)
        {
            if (now >= entry.Ends)
            {
                _clients.TryRemove(new KeyValuePair<IPAddress, Window>(address, entry));
            }
        }

        // Every tracked address is inside its window (a spray from many addresses): forget the oldest half rather
        // than grow without bound. Those addresses start counting again; the rest stay blocked.
        if (_clients.Count >= maxTrackedClients)
        {
            foreach (var (address, _) in _clients.OrderBy(c => c.Value.Ends).Take(_clients.Count / 2))
            {
                _clients.TryRemove(address, out _);
            }
        }
    }

    private readonly record struct Window(DateTimeOffset Ends, int Failures);
}
