namespace Datacake.Streams.BenchPlot;

/// <summary>Median, minimum and maximum of the repeated runs of one point: what the charts draw for several rows with the same x.</summary>
public readonly record struct Spread(double Median, double Min, double Max)
{
    /// <summary>NaN values (unmeasured cells) are left out; all NaN gives NaN.</summary>
    public static Spread Of(IEnumerable<double> values)
    {
        var sorted = values.Where(v => !double.IsNaN(v)).Order().ToArray();
        if (sorted.Length == 0)
        {
            return new Spread(double.NaN, double.NaN, double.NaN);
        }

        var middle = sorted.Length / 2;
        var median = sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
        return new Spread(median, sorted[0], sorted[^1]);
    }
}
