namespace Datacake.Streams.Processing.Sink;

/// <summary>
/// Exponential backoff with equal jitter for retrying a write that cannot succeed now: waits are awaited on the
/// pipeline's <see cref="TimeProvider"/> so tests move time instead of sleeping.
/// </summary>
internal sealed class WriteBackoff(TimeSpan first, TimeSpan max, TimeProvider time)
{
    /// <summary>Delay before retry <paramref name="attempt"/> (1-based), half fixed, half random in [50 %, 100 %].</summary>
    public TimeSpan Delay(int attempt, double random01)
    {
        var exponential = first.TotalMilliseconds * Math.Pow(2, Math.Min(attempt - 1, 30));
        var capped = Math.Min(exponential, max.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(capped * (0.5 + (0.5 * random01)));
    }

    public Task WaitAsync(int attempt, CancellationToken cancellationToken) =>
        Task.Delay(Delay(attempt, Random.Shared.NextDouble()), time, cancellationToken);
}
