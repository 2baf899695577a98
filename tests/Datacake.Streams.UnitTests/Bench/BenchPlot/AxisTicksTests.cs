using Datacake.Streams.BenchPlot;

namespace Datacake.Streams.UnitTests.Bench.BenchPlot;

public sealed class AxisTicksTests
{
    [Theory]
    [InlineData(1, "1")]
    [InlineData(0.25, "0.25")]
    [InlineData(1500, "1.5k")]
    [InlineData(100000, "100k")]
    [InlineData(2000000, "2M")]
    public void Compact_labels_are_short(double value, string label) => Assert.Equal(label, AxisTicks.Compact(value));

    [Fact]
    public void Log_ticks_over_a_few_decades_include_2_and_5()
    {
        var (positions, labels) = AxisTicks.LogDecades(1, 1000);

        Assert.Equal(["1", "2", "5", "10", "20", "50", "100", "200", "500", "1k"], labels);
        Assert.Equal(Math.Log10(200), positions[7], 9);
    }

    [Fact]
    public void Log_ticks_over_many_decades_are_powers_of_ten()
    {
        var (_, labels) = AxisTicks.LogDecades(1, 1e6);

        Assert.Equal(["1", "10", "100", "1k", "10k", "100k", "1M"], labels);
    }
}
