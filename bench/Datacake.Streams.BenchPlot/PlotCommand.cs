using System.Globalization;

namespace Datacake.Streams.BenchPlot;

/// <summary>Command line: <c>line</c> or <c>bar</c>, a TSV in, a PNG out. Exit 0 when written, 2 on bad input (with the reason).</summary>
public static class PlotCommand
{
    public const string Usage = """
        usage:
          benchplot line --in TABLE.tsv --out CHART.png --x COLUMN --y COLUMN[,COLUMN...] [--series COLUMN] [--log-x] [--log-y]
          benchplot bar  --in TABLE.tsv --out CHART.png --label COLUMN --y COLUMN [--min COLUMN --max COLUMN]
          both: [--title TEXT] [--x-label TEXT] [--y-label TEXT] [--where COLUMN=VALUE] [--y-from-zero]
                [--width 900] [--height 500] [--font FILE.ttf]
        TABLE.tsv: tab-separated, first line names the columns, '#' lines skipped, '-' = not measured.
        Rows with the same x (line, per series) or label (bar) are repeats: drawn at their median with a min–max whisker.
        """;

    private static readonly HashSet<string> _flags = new(StringComparer.Ordinal) { "log-x", "log-y", "y-from-zero" };

    public static int Run(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help")
        {
            Console.Error.WriteLine(Usage);
            return args.Length == 0 ? 2 : 0;
        }

        try
        {
            var options = Parse(args.AsSpan(1));
            var chart = Chart(options);
            var table = TsvTable.Read(chart.Input).Where(chart.WhereColumn, chart.WhereValue);
            var plot = args[0] switch
            {
                "line" => LineChart.Build(
                    new LineChartSpec
                    {
                        Chart = chart,
                        X = Required(options, "x"),
                        Y = Required(options, "y").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
                        Series = options.GetValueOrDefault("series"),
                        LogX = options.ContainsKey("log-x"),
                        LogY = options.ContainsKey("log-y"),
                    },
                    table),
                "bar" => BarChart.Build(
                    new BarChartSpec
                    {
                        Chart = chart,
                        Label = Required(options, "label"),
                        Y = Required(options, "y"),
                        Min = options.GetValueOrDefault("min"),
                        Max = options.GetValueOrDefault("max"),
                    },
                    table),
                _ => throw new PlotInputException($"unknown chart '{args[0]}': line or bar"),
            };

            var folder = Path.GetDirectoryName(Path.GetFullPath(chart.Output));
            if (folder is not null)
            {
                Directory.CreateDirectory(folder);
            }

            plot.SavePng(chart.Output, chart.Width, chart.Height);
            Console.WriteLine($"benchplot: wrote {chart.Output} ({chart.Width}×{chart.Height}, {table.RowCount} rows)");
            return 0;
        }
        catch (PlotInputException e)
        {
            Console.Error.WriteLine($"benchplot: {e.Message}");
            Console.Error.WriteLine(Usage);
            return 2;
        }
    }

    private static ChartSpec Chart(Dictionary<string, string> options)
    {
        string? whereColumn = null, whereValue = null;
        if (options.TryGetValue("where", out var where))
        {
            var equals = where.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                throw new PlotInputException($"--where takes COLUMN=VALUE, not '{where}'");
            }

            (whereColumn, whereValue) = (where[..equals], where[(equals + 1)..]);
        }

        return new ChartSpec
        {
            Input = Required(options, "in"),
            Output = Required(options, "out"),
            Title = options.GetValueOrDefault("title"),
            XLabel = options.GetValueOrDefault("x-label"),
            YLabel = options.GetValueOrDefault("y-label"),
            Width = Pixels(options, "width", 900),
            Height = Pixels(options, "height", 500),
            WhereColumn = whereColumn,
            WhereValue = whereValue,
            Font = options.GetValueOrDefault("font"),
            YFromZero = options.ContainsKey("y-from-zero"),
        };
    }

    private static Dictionary<string, string> Parse(ReadOnlySpan<string> args)
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal))
            {
                throw new PlotInputException($"expected --name, got '{args[i]}'");
            }

            var name = args[i][2..];
            if (_flags.Contains(name))
            {
                options[name] = "true";
                continue;
            }

            if (i + 1 >= args.Length)
            {
                throw new PlotInputException($"--{name} needs a value");
            }

            options[name] = args[++i];
        }

        return options;
    }

    private static string Required(Dictionary<string, string> options, string name) =>
        options.TryGetValue(name, out var value) ? value : throw new PlotInputException($"--{name} is required");

    private static int Pixels(Dictionary<string, string> options, string name, int fallback)
    {
        if (!options.TryGetValue(name, out var text))
        {
            return fallback;
        }

        // 100..8000 px: smaller cannot hold the axis labels, larger is a typo (and a huge allocation).
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value is >= 100 and <= 8000
            ? value
            : throw new PlotInputException($"--{name} must be 100..8000 pixels, not '{text}'");
    }
}
