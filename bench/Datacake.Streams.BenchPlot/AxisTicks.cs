using System.Globalization;

namespace Datacake.Streams.BenchPlot;

/// <summary>
/// Tick positions and labels. ScottPlot 5 has no logarithmic axis: a log axis is drawn by plotting log10 of the
/// values and labelling the ticks with the values themselves.
/// </summary>
public static class AxisTicks
{
    /// <summary>Up to 12 distinct x values are a sweep (1k/10k/100k devices, 1/2 processors): tick exactly those.</summary>
    public const int MaxSweepTicks = 12;

    /// <summary>1, 2 and 5 times each power of ten from the smallest to the largest value (positions in log10).</summary>
    public static (double[] Positions, string[] Labels) LogDecades(double min, double max)
    {
        var positions = new List<double>();
        var labels = new List<string>();
        if (!(min > 0) || !(max > 0))
        {
            return ([], []);
        }

        var spanDecades = Math.Log10(max) - Math.Log10(min);
        double[] steps = spanDecades > 3 ? [1] : [1, 2, 5];
        for (var exponent = (int)Math.Floor(Math.Log10(min)); exponent <= (int)Math.Ceiling(Math.Log10(max)); exponent++)
        {
            foreach (var step in steps)
            {
                var value = step * Math.Pow(10, exponent);
                if (value >= min / 1.0001 && value <= max * 1.0001)
                {
                    positions.Add(Math.Log10(value));
                    labels.Add(Compact(value));
                }
            }
        }

        return ([.. positions], [.. labels]);
    }

    /// <summary>1500 → 1.5k, 100000 → 100k, 2e6 → 2M, 0.25 → 0.25: short enough for a tick.</summary>
    public static string Compact(double value)
    {
        var magnitude = Math.Abs(value);
        var (scaled, suffix) = magnitude switch
        {
            >= 1e9 => (value / 1e9, "G"),
            >= 1e6 => (value / 1e6, "M"),
            >= 1e3 => (value / 1e3, "k"),
            _ => (value, ""),
        };
        return scaled.ToString("0.##", CultureInfo.InvariantCulture) + suffix;
    }
}
