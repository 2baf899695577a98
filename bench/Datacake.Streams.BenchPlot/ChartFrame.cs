using ScottPlot;

namespace Datacake.Streams.BenchPlot;

/// <summary>The parts every chart shares: title, axis labels and font, and the min–max whisker.</summary>
public static class ChartFrame
{
    public static Plot Create(ChartSpec spec)
    {
        var plot = new Plot();
        plot.Font.Set(ChartFont.Choose(spec.Font));
        if (spec.Title is not null)
        {
            plot.Title(spec.Title);
        }

        if (spec.XLabel is not null)
        {
            plot.XLabel(spec.XLabel);
        }

        if (spec.YLabel is not null)
        {
            plot.YLabel(spec.YLabel);
        }

        return plot;
    }

    /// <summary>
    /// A vertical line from <paramref name="low"/> to <paramref name="high"/> at <paramref name="x"/>, with caps
    /// <paramref name="cap"/> axis units to each side.
    /// </summary>
    public static void Whisker(Plot plot, double x, double low, double high, double cap, Color color)
    {
        foreach (var (x1, y1, x2, y2) in new[] { (x, low, x, high), (x - cap, low, x + cap, low), (x - cap, high, x + cap, high) })
        {
            var line = plot.Add.Line(x1, y1, x2, y2);
            line.Color = color;
            line.LineWidth = 1.5f;
        }
    }
}
