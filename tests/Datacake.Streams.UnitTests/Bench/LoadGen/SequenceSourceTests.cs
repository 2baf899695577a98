using Datacake.Streams.LoadGen.EndToEnd;
using Microsoft.Extensions.Time.Testing;

namespace Datacake.Streams.UnitTests.Bench.LoadGen;

public sealed class SequenceSourceTests
{
    private static readonly TimeSpan _deadline = TimeSpan.FromSeconds(10);

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

        var whole = source.ClaimAsync(10, CancellationToken.None).AsTask();
        Assert.False(whole.IsCompleted);

        time.Advance(TimeSpan.FromMilliseconds(5));
        var partial = await source.ClaimAsync(10, CancellationToken.None, partial: true).AsTask().WaitAsync(_deadline);
        Assert.Equal(new Claim(0, 5), partial);
        Assert.False(whole.IsCompleted);

        time.Advance(TimeSpan.FromMilliseconds(10));
        Assert.Equal(new Claim(5, 10), await whole.WaitAsync(_deadline));
    }

    [Fact]
    public async Task A_stopped_source_hands_out_nothing_more()
    {
        var source = new SequenceSource(0, 1_000);
        source.Stop();

        Assert.Equal(0, (await source.ClaimAsync(1, CancellationToken.None)).Count);
    }
}
