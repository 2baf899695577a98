using System.Globalization;

namespace Datacake.Streams.BenchPlot;

/// <summary>
/// A tab-separated table whose first line names the columns, as the benchmark scripts write them. Lines starting
/// with <c>#</c> and empty lines are skipped, so a script can keep notes in the file.
/// </summary>
public sealed class TsvTable
{
    private readonly Dictionary<string, int> _columns;
    private readonly List<string[]> _rows;

    private TsvTable(string[] header, List<string[]> rows)
    {
        Header = header;
        _rows = rows;
        _columns = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < header.Length; i++)
        {
            _columns.TryAdd(header[i], i);
        }
    }

    public IReadOnlyList<string> Header { get; }

    public int RowCount => _rows.Count;

    public static TsvTable Read(string path)
    {
        if (!File.Exists(path))
        {
            throw new PlotInputException($"no file at {path}");
        }

        return Parse(File.ReadLines(path), path);
    }

    public static TsvTable Parse(IEnumerable<string> lines, string source)
    {
        string[]? header = null;
        var rows = new List<string[]>();
        var number = 0;
        foreach (var line in lines)
        {
            number++;
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var cells = line.Split('\t');
            if (header is null)
            {
                header = cells;
                continue;
            }

            if (cells.Length != header.Length)
            {
                throw new PlotInputException($"{source}:{number}: {cells.Length} cells, the header names {header.Length}");
            }

            rows.Add(cells);
        }

        return header is null ? throw new PlotInputException($"{source}: no header line") : new TsvTable(header, rows);
    }

    public int Column(string name) =>
        _columns.TryGetValue(name, out var index)
            ? index
            : throw new PlotInputException($"no column '{name}' (columns: {string.Join(", ", Header)})");

    public string Text(int row, int column) => _rows[row][column];

    /// <summary>The cell as a number; <c>-</c> or empty (a value the script could not measure) is NaN, and is not plotted.</summary>
    public double Number(int row, int column)
    {
        var cell = _rows[row][column];
        if (cell.Length == 0 || cell == "-")
        {
            return double.NaN;
        }

        return double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new PlotInputException($"row {row + 1}, column '{Header[column]}': '{cell}' is not a number");
    }

    /// <summary>The rows whose <paramref name="column"/> equals <paramref name="value"/>; every row when no filter is given.</summary>
    public TsvTable Where(string? column, string? value)
    {
        if (column is null)
        {
            return this;
        }

        var index = Column(column);
        return new TsvTable([.. Header], _rows.Where(r => string.Equals(r[index], value, StringComparison.Ordinal)).ToList());
    }
}
