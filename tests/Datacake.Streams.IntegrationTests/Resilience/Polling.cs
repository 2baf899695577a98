using System.Diagnostics;

namespace Datacake.Streams.IntegrationTests.Resilience;

/// <summary>The resilience tests' two ways of waiting: for a condition with a deadline, and for a stretch of wall clock.</summary>
internal static class Polling
{
    /// <summary>True once <paramref name="condition"/> holds, false when <paramref name="deadline"/> passed first (the caller says what it waited for).</summary>
    public static async Task<bool> UntilAsync(Func<Task<bool>> condition, TimeSpan deadline)
    {
        var until = DateTime.UtcNow + deadline;
        while (!await condition())
        {
            if (DateTime.UtcNow > until)
            {
                return false;
            }

            await Task.Delay(50);
        }

        return true;
    }

    /// <summary>
    /// Runs <paramref name="each"/> every 250 ms until <paramref name="duration"/> of wall clock has passed: an outage
    /// of a stated length while the test samples, not a wait for something to happen.
    /// </summary>
    public static async Task WhileAsync(TimeSpan duration, Func<Task> each)
    {
        var clock = Stopwatch.StartNew();
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(250));
        do
        {
            await each();
        }
        while (clock.Elapsed < duration && await timer.WaitForNextTickAsync());
    }
}
