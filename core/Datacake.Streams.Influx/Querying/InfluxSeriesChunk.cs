using System.Text.Json;

namespace Datacake.Streams.Influx.Querying;

/// <summary>
/// Part of one series of a streamed (<c>chunked=true</c>) answer: its name, GROUP BY tags, columns and up to a chunk of
/// rows. A view over the chunk's pooled JSON: valid only until the stream moves on; read the rows, do not keep them.
/// </summary>
public sealed class InfluxSeriesChunk
{
    private readonly JsonElement _series;

    internal InfluxSeriesChunk(int statementId, JsonElement series)
    {
        StatementId = statementId;
        _series = series;
    }

    public int StatementId { get; }

    public string Name => _series.TryGetProperty("name", out JsonElement name) && name.ValueKind == JsonValueKind.String ? name.GetString() ?? string.Empty : string.Empty;

    /// <summary>The GROUP BY tags in ordinal key order (line protocol's preferred order); empty values left out.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Tags
    {
        get
        {
            if (!_series.TryGetProperty("tags", out JsonElement tags) || tags.ValueKind != JsonValueKind.Object)
            {
                return [];
            }

            var list = new List<KeyValuePair<string, string>>();
            foreach (JsonProperty tag in tags.EnumerateObject())
            {
                if (tag.Value.ValueKind == JsonValueKind.String && tag.Value.GetString() is { Length: > 0 } value)
                {
                    list.Add(new(tag.Name, value));
                }
            }

            list.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
            return list;
        }
    }

    public IReadOnlyList<string> Columns
    {
        get
        {
            var columns = new List<string>();
            if (_series.TryGetProperty("columns", out JsonElement array) && array.ValueKind == JsonValueKind.Array)
            {
                foreach (JsonElement column in array.EnumerateArray())
                {
                    columns.Add(column.GetString() ?? string.Empty);
                }
            }

            return columns;
        }
    }

    /// <summary>
    /// The rows as a JSON array (<see cref="JsonValueKind.Undefined"/> when there are none): each row an array with one
    /// element per column (with <c>epoch=ns</c>, time as an integer).
    /// </summary>
    public JsonElement Rows =>
        _series.TryGetProperty("values", out JsonElement values) && values.ValueKind == JsonValueKind.Array ? values : default;

    public int RowCount =>
        _series.TryGetProperty("values", out JsonElement values) && values.ValueKind == JsonValueKind.Array ? values.GetArrayLength() : 0;
}
