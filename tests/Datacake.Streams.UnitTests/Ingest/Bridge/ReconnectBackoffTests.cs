using Datacake.Streams.Ingest.Bridge;

namespace Datacake.Streams.UnitTests.Ingest.Bridge;

public class ReconnectBackoffTests
{
    [Fact]
    public void The_wait_doubles_up_to_the_cap_and_a_reset_starts_over()
    {
        var backoff = new ReconnectBackoff(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10));
        TimeSpan[] waits = [.. Enumerable.Range(0, 6).Select(_ => backoff.Next())];
        Assert.Equal([1, 2, 4, 8, 10, 10], waits.Select(w => w.TotalSeconds));

        backoff.Reset();
        Assert.Equal(TimeSpan.FromSeconds(1), backoff.Next());
    }

    [Fact]
    public void Bad_bounds_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ReconnectBackoff(TimeSpan.Zero, TimeSpan.FromSeconds(1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ReconnectBackoff(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(1)));
    }
}
