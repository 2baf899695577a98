namespace Datacake.Streams.BenchPlot;

/// <summary>What every chart takes: where the table is, where the PNG goes, the words on it and its size.</summary>
public sealed record ChartSpec
{
    public required string Input { get; init; }

    public required string Output { get; init; }

    public string? Title { get; init; }

    public string? XLabel { get; init; }

    public string? YLabel { get; init; }

    /// <summary>900×500 px: readable at GitHub's markdown width (~880 px) without scaling the text down.</summary>
    public int Width { get; init; } = 900;

    public int Height { get; init; } = 500;

    /// <summary>Only the rows whose column <see cref="WhereColumn"/> holds <see cref="WhereValue"/>: one TSV can feed several charts.</summary>
    public string? WhereColumn { get; init; }

    public string? WhereValue { get; init; }

    /// <summary>A .ttf/.otf file; empty = the first of the usual Linux sans fonts installed (<see cref="ChartFont"/>).</summary>
    public string? Font { get; init; }

    /// <summary>Start the value axis at 0 (bars always do): a ratio read off the chart is then honest.</summary>
    public bool YFromZero { get; init; }
}

/// <summary>One line per series: x against one or more y columns, optionally split by a series column.</summary>
public sealed record LineChartSpec
{
    public required ChartSpec Chart { get; init; }

    public required string X { get; init; }

    /// <summary>One or more y columns; each is a series (named by the column) unless <see cref="Series"/> splits them.</summary>
    public required IReadOnlyList<string> Y { get; init; }

    /// <summary>A column whose distinct values each make one line (e.g. the path: embedded, kafka).</summary>
    public string? Series { get; init; }

    public bool LogX { get; init; }

    public bool LogY { get; init; }
}

/// <summary>One bar per label: the median of its rows, with a whisker from the minimum to the maximum.</summary>
public sealed record BarChartSpec
{
    public required ChartSpec Chart { get; init; }

    public required string Label { get; init; }

    public required string Y { get; init; }

    /// <summary>Columns holding the whisker ends; without them the whisker spans the label's rows.</summary>
    public string? Min { get; init; }

    public string? Max { get; init; }
}
