namespace Datacake.Streams.Influx.Client;

/// <summary>
/// A query or command failed: the whole request (<see cref="StatementIndex"/> null: bad InfluxQL, auth, 5xx) or
/// one statement of it (HTTP 200 with <c>results[i].error</c>; earlier statements did run).
/// </summary>
public sealed class InfluxQueryException : InfluxException
{
    public InfluxQueryException(InfluxErrorKind kind, string message, int? statementIndex = null, int? statusCode = null, string? serverMessage = null, int attempts = 1, Exception? innerException = null)
        : base(kind, message, statusCode, serverMessage, attempts, innerException)
    {
        StatementIndex = statementIndex;
    }

    public InfluxQueryException()
        : this(InfluxErrorKind.BadRequest, "InfluxDB query failed.")
    {
    }

    public InfluxQueryException(string message)
        : this(InfluxErrorKind.BadRequest, message)
    {
    }

    public InfluxQueryException(string message, Exception innerException)
        : this(InfluxErrorKind.BadRequest, message, innerException: innerException)
    {
    }

    /// <summary>0-based index of the failed statement; null when the request failed as a whole.</summary>
    public int? StatementIndex { get; }
}
