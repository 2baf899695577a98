namespace Datacake.Streams.IntegrationTests.EndToEnd;

/// <summary>Polling with a deadline: the end-to-end tests wait for conditions, never for fixed times.</summary>
internal static class Until
{
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(45);

    /// <summary>Repeats <paramref name="attempt"/> until <paramref name="done"/> holds; fails naming <paramref name="what"/> after the deadline.</summary>
    public static async Task<T> Async<T>(Func<Task<T>> attempt, Func<T, bool> done, string what)
    {
        var deadline = DateTime.UtcNow + Deadline;
        while (true)
        {
            var result = await attempt();
            if (done(result))
            {
                return result;
            }

            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}; last: {result}");
            await Task.Delay(50);
        }
    }
}
