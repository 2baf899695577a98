namespace Datacake.Streams.Api.InfluxApi.Language;

/// <summary>
/// A query that is not InfluxQL this node reads, with InfluxDB's wording ("found X, expected Y at line 1, char 8"):
/// the whole request is answered 400 <c>{"error":"error parsing query: …"}</c>, as influxd 1.6.7 does.
/// </summary>
public sealed class InfluxQlParseException : Exception
{
    public InfluxQlParseException(string message, string query, int position)
        : base(message + At(query, position))
    {
    }

    public InfluxQlParseException()
    {
    }

    public InfluxQlParseException(string message)
        : base(message)
    {
    }

    public InfluxQlParseException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    private static string At(string query, int position)
    {
        int line = 1;
        int column = 1;
        for (int i = 0; i < position && i < query.Length; i++)
        {
            if (query[i] == '\n')
            {
                line++;
                column = 1;
            }
            else
            {
                column++;
            }
        }

        return FormattableString.Invariant($" at line {line}, char {column}");
    }
}
