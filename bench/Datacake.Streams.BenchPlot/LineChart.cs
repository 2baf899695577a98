using ScottPlot;

namespace Datacake.Streams.BenchPlot;

/// <summary>
/// Lines of y against x, one per series. Rows with the same x in a series are repeated runs: the line goes through
/// their median and a whisker spans their minimum to maximum.
/// </summary>
public static class LineChart
{
    public static Plot Build(LineChartSpec spec, TsvTable table)
    {
        var plot = ChartFrame.Create(spec.Chart);
        var x = table.Column(spec.X);
        var lines = Lines(spec, table, x);
        if (lines.Count == 0 || lines.All(l => l.Points.Count == 0))
        {
            throw new PlotInputException($"{spec.Chart.Input}: no row with numbers in '{spec.X}' and '{string.Join(",", spec.Y)}'");
        }

        var xs = lines.SelectMany(l => l.Points.Select(p => p.X)).ToList();
        var ys = lines.SelectMany(l => l.Points.SelectMany(p => new[] { p.Y.Min, p.Y.Max })).ToList();

        // Whisker caps 1.5% of the x span to each side: visible, and clear of a neighbouring point's caps.
        var cap = 0.015 * Math.Max(Scale(xs.Max(), spec.LogX) - Scale(xs.Min(), spec.LogX), 1e-9);
        // A legend only names lines apart: ScottPlot shows one as soon as a line has a legend text.
        var drawn = lines.Count(l => l.Points.Count > 0);
        for (var i = 0; i < lines.Count; i++)
        {
            var (name, points) = lines[i];
            if (points.Count == 0)
            {
                continue;
            }

            var color = plot.Add.Palette.GetColor(i);
            var px = points.Select(p => Scale(p.X, spec.LogX)).ToArray();
            var py = points.Select(p => Scale(p.Y.Median, spec.LogY)).ToArray();
            var scatter = plot.Add.Scatter(px, py, color);
            if (drawn > 1)
            {
                scatter.LegendText = name;
            }

            scatter.LineWidth = 2;
            scatter.MarkerSize = points.Count > 60 ? 0 : 7;
            if (points.Count == 1)
            {
                // A scatter of one point draws neither line nor marker: the embedded log's single processor is such a series.
                plot.Add.Marker(px[0], py[0], MarkerShape.FilledCircle, 9, color);
            }

            foreach (var (pointX, spread) in points.Where(p => p.Y.Max > p.Y.Min))
            {
                ChartFrame.Whisker(plot, Scale(pointX, spec.LogX), Scale(spread.Min, spec.LogY), Scale(spread.Max, spec.LogY), cap, color);
            }
        }

        SetXTicks(plot, spec.LogX, xs);
        if (spec.LogY)
        {
            var (positions, labels) = AxisTicks.LogDecades(ys.Min(), ys.Max());
            plot.Axes.Left.SetTicks(positions, labels);
        }
        else if (spec.Chart.YFromZero)
        {
            // 8% above the highest whisker or point: autoscale's margin is a share of the data's range, which is
            // tiny when the lines are flat, and the top point would sit on the frame.
            var top = ys.Where(double.IsFinite).DefaultIfEmpty(1).Max();
            plot.Axes.SetLimitsY(0, top > 0 ? top * 1.08 : 1);
        }

        if (drawn > 1)
        {
            // Beside the data area, not inside it: inside, it hid the embedded log's single point at the top left.
            plot.ShowLegend(Edge.Right);
        }

        return plot;
    }

    private static List<(string Name, List<(double X, Spread Y)> Points)> Lines(LineChartSpec spec, TsvTable table, int x)
    {
        var result = new List<(string, List<(double, Spread)>)>();
        if (spec.Series is not null)
        {
            if (spec.Y.Count != 1)
            {
                throw new PlotInputException("--series splits one y column; name one --y");
            }

            var series = table.Column(spec.Series);
            var y = table.Column(spec.Y[0]);
            var names = Enumerable.Range(0, table.RowCount).Select(r => table.Text(r, series)).Distinct(StringComparer.Ordinal);
            foreach (var name in names)
            {
                var rows = Enumerable.Range(0, table.RowCount).Where(r => table.Text(r, series) == name);
                result.Add((name, Points(table, rows, x, y, spec.LogX, spec.LogY)));
            }

            return result;
        }

        foreach (var column in spec.Y)
        {
            result.Add((column, Points(table, Enumerable.Range(0, table.RowCount), x, table.Column(column), spec.LogX, spec.LogY)));
        }

        return result;
    }

    /// <summary>Per distinct x (in order), the spread of its y values; NaN, and values ≤ 0 on a log axis, are left out.</summary>
    private static List<(double X, Spread Y)> Points(TsvTable table, IEnumerable<int> rows, int x, int y, bool logX, bool logY) =>
        rows.Select(r => (X: table.Number(r, x), Y: table.Number(r, y)))
            .Where(p => !double.IsNaN(p.X) && !double.IsNaN(p.Y) && (!logX || p.X > 0) && (!logY || p.Y > 0))
            .GroupBy(p => p.X)
            .OrderBy(g => g.Key)
            .Select(g => (g.Key, Spread.Of(g.Select(p => p.Y))))
            .ToList();

    private static double Scale(double value, bool log) => log ? Math.Log10(value) : value;

    private static void SetXTicks(Plot plot, bool logX, List<double> xs)
    {
        var distinct = xs.Distinct().Order().ToArray();
        if (distinct.Length <= AxisTicks.MaxSweepTicks)
        {
            plot.Axes.Bottom.SetTicks(distinct.Select(v => Scale(v, logX)).ToArray(), distinct.Select(AxisTicks.Compact).ToArray());
        }
        else if (logX)
        {
            var (positions, labels) = AxisTicks.LogDecades(distinct[0], distinct[^1]);
            plot.Axes.Bottom.SetTicks(positions, labels);
        }
    }
}
