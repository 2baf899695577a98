using System.Collections.Concurrent;
using System.Net;

namespace Datacake.Streams.Ingest.Http;

/// <summary>
/// Counts failed authentications per client IP in fixed windows; once an IP reaches the limit, every request from it
/// is refused (429 + Retry-After) until its window ends, before any token is even hashed. Guessing a 256-bit token is
/// hopeless anyway; this keeps a broken or hostile client from spending the node's CPU and log lines.
/// </summary>
public sealed class FailedAuthenticationThrottle(HttpIngestOptions options, TimeProvider timeProvider)
{
    // Bounds memory under an address-spraying attack: past this many tracked IPs, expired windows are swept.
    private const int SweepThreshold = 100_000;

    private readonly ConcurrentDictionary<IPAddress, Window> _windows = new();

    /// <summary>True (and the seconds until the window ends) when <paramref name="client"/> is over the limit.</summary>
    public bool IsThrottled(IPAddress? client, out int retryAfterSeconds)
    {
        retryAfterSeconds = 0;
        if (client is null || !_windows.TryGetValue(client, out var window))
        {
            return false;
        }

        var now = timeProvider.GetUtcNow();
        if (now >= window.Ends || window.Failures < options.FailedAuthenticationsPerWindow)
        {
            return false;
        }

        retryAfterSeconds = Math.Max(1, (int)Math.Ceiling((window.Ends - now).TotalSeconds));
        return true;
    }

    public void RecordFailure(IPAddress? client)
    {
        if (client is null)
        {
            return;
        }

        var now = timeProvider.GetUtcNow();
        if (_windows.Count > SweepThreshold)
        {
            foreach (var (address, old) in _windows)
            {
                if (old.Ends <= now)
                {
                    _windows.TryRemove(new KeyValuePair<IPAddress, Window>(address, old));
                }
            }
        }

        _windows.AddOrUpdate(
            client,
            static (_, state) => new Window(state.now + state.window, 1),
            static (_, current, state) => current.Ends <= state.now ? new Window(state.now + state.window, 1) : current with { Failures = current.Failures + 1 },
            (now, window: options.FailedAuthenticationWindow));
    }

    private sealed record Window(DateTimeOffset Ends, int Failures);
}
