using ScottPlot;

namespace Datacake.Streams.BenchPlot;

/// <summary>One bar per label (in first-seen order) at the median of its rows, with a min–max whisker.</summary>
public static class BarChart
{
    /// <summary>Whisker caps 0.08 to each side: bars are 1 unit apart, so a cap reads as a cap and not as a bar.</summary>
    private const double BarCap = 0.08;

    public static Plot Build(BarChartSpec spec, TsvTable table)
    {
        var plot = ChartFrame.Create(spec.Chart);
        var label = table.Column(spec.Label);
        var y = table.Column(spec.Y);
        int? min = spec.Min is null ? null : table.Column(spec.Min);
        int? max = spec.Max is null ? null : table.Column(spec.Max);
        var labels = Enumerable.Range(0, table.RowCount).Select(r => table.Text(r, label)).Distinct(StringComparer.Ordinal).ToArray();
        if (labels.Length == 0)
        {
            throw new PlotInputException($"{spec.Chart.Input}: no rows");
        }

        var bars = new List<Bar>();
        var whiskers = new List<(double X, double Low, double High)>();
        var top = 0.0;
        for (var i = 0; i < labels.Length; i++)
        {
            var rows = Enumerable.Range(0, table.RowCount).Where(r => table.Text(r, label) == labels[i]).ToArray();
            var spread = Spread.Of(rows.Select(r => table.Number(r, y)));
            if (double.IsNaN(spread.Median))
            {
                continue;
            }

            var low = min is { } minColumn ? Spread.Of(rows.Select(r => table.Number(r, minColumn))).Min : spread.Min;
            var high = max is { } maxColumn ? Spread.Of(rows.Select(r => table.Number(r, maxColumn))).Max : spread.Max;
            bars.Add(new Bar { Position = i, Value = spread.Median, ValueBase = 0, FillColor = plot.Add.Palette.GetColor(i) });
            if (high > low)
            {
                whiskers.Add((i, low, high));
            }

            top = Math.Max(top, double.IsNaN(high) ? spread.Median : Math.Max(high, spread.Median));
        }

        plot.Add.Bars(bars);

        // After the bars, so that the part of a whisker below the median is drawn over its bar.
        foreach (var (x, low, high) in whiskers)
        {
            ChartFrame.Whisker(plot, x, low, high, BarCap, Colors.Black);
        }

        plot.Axes.Bottom.SetTicks(Enumerable.Range(0, labels.Length).Select(i => (double)i).ToArray(), labels);
        plot.Axes.Bottom.MajorTickStyle.Length = 0;
        plot.Axes.SetLimitsX(-0.6, labels.Length - 0.4);

        // 8% headroom above the tallest whisker so its cap is not drawn on the frame.
        plot.Axes.SetLimitsY(0, top > 0 ? top * 1.08 : 1);
        return plot;
    }
}
