using System.Globalization;
using System.Text.Json;

namespace Datacake.Streams.Influx.Querying;

/// <summary>
/// One series of a statement: name, GROUP BY tags, columns and rows. Values stay <see cref="JsonElement"/>s
/// because InfluxDB's JSON does not keep the field type (a float 1.0 arrives as <c>1</c>); the typed getters
/// read them as the caller expects. With <c>epoch=ns</c> the <c>time</c> column is an integer of nanoseconds.
/// </summary>
public sealed class InfluxSeries
{
    public InfluxSeries(string name, IReadOnlyDictionary<string, string> tags, IReadOnlyList<string> columns, IReadOnlyList<JsonElement[]> values)
    {
        Name = name;
        Tags = tags;
        Columns = columns;
        Values = values;
    }

    public string Name { get; }

    public IReadOnlyDictionary<string, string> Tags { get; }

    public IReadOnlyList<string> Columns { get; }

    /// <summary>Rows; each has one element per column.</summary>
    public IReadOnlyList<JsonElement[]> Values { get; }

    /// <summary>Index of a column, or -1.</summary>
    public int ColumnIndex(string column)
    {
        for (int i = 0; i < Columns.Count; i++)
        {
            if (string.Equals(Columns[i], column, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }

    public bool IsNull(int row, string column) => Value(row, column).ValueKind == JsonValueKind.Null;

    public long GetInt64(int row, string column) => Value(row, column).GetInt64();

    public double GetDouble(int row, string column) => Value(row, column).GetDouble();

    public string? GetString(int row, string column) => Value(row, column).GetString();

    public bool GetBoolean(int row, string column) => Value(row, column).GetBoolean();

    public JsonElement Value(int row, string column)
    {
        int index = ColumnIndex(column);
        if (index < 0)
        {
            throw new KeyNotFoundException(string.Create(CultureInfo.InvariantCulture, $"Series '{Name}' has no column '{column}' (columns: {string.Join(", ", Columns)})."));
        }

        return Values[row][index];
    }
}
