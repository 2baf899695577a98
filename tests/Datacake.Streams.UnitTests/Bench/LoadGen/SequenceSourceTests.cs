using Datacake.Streams.LoadGen.EndToEnd;
using Microsoft.Extensions.Time.Testing;

namespace Datacake.Streams.UnitTests.Bench.LoadGen;

public sealed class SequenceSourceTests
{
    private static readonly TimeSpan _deadline = TestDeadline.Wait;

    [Fact]
    public async Task Unpaced_claims_hand_out_every_number_once_then_nothing()
    {
        var source = new SequenceSource(100, 10);

        Assert.Equal(new Claim(100, 4), await source.ClaimAsync(4, CancellationToken.None));
        Assert.Equal(new Claim(104, 4), await source.ClaimAsync(4, CancellationToken.None));
        Assert.Equal(new Claim(108, 2), await source.ClaimAsync(4, CancellationToken.None));
        Assert.Equal(0, (await source.ClaimAsync(4, CancellationToken.None)).Count);
    }

    [Fact]
    public async Task A_paced_claim_waits_until_the_clock_has_released_its_numbers()
    {
        var time = new FakeTimeProvider();
        using var pace = new OfferedRate(1_000, time); // one number per ms
        var source = new SequenceSource(0, 1_000, pace);

        var partial = source.ClaimAsync(10, CancellationToken.None, partial: true).AsTask();
        Assert.False(partial.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(5));

        // Partial: at least one of the five released, at most the five (a credit released with the first may be missed).
        var first = await partial.WaitAsync(_deadline);
        Assert.Equal(0, first.First);
        Assert.InRange(first.Count, 1, 5);

        var whole = source.ClaimAsync(10, CancellationToken.None).AsTask();
        Assert.False(whole.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(15));
        Assert.Equal(new Claim(first.Count, 10), await whole.WaitAsync(_deadline));
    }

    [Fact]
    public async Task A_stopped_source_hands_out_nothing_more()
    {
        var source = new SequenceSource(0, 1_000);
        source.Stop();

        Assert.Equal(0, (await source.ClaimAsync(1, CancellationToken.None)).Count);
    }
}
