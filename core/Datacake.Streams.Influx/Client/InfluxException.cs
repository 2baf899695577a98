namespace Datacake.Streams.Influx.Client;

/// <summary>A failed call to InfluxDB, typed by <see cref="Kind"/>.</summary>
public class InfluxException : Exception
{
    public InfluxException(InfluxErrorKind kind, string message, int? statusCode = null, string? serverMessage = null, int attempts = 1, Exception? innerException = null)
        : base(message, innerException)
    {
        Kind = kind;
        StatusCode = statusCode;
        ServerMessage = serverMessage;
        Attempts = attempts;
    }

    public InfluxException()
        : this(InfluxErrorKind.ServerError, "InfluxDB call failed.")
    {
    }

    public InfluxException(string message)
        : this(InfluxErrorKind.ServerError, message)
    {
    }

    public InfluxException(string message, Exception innerException)
        : this(InfluxErrorKind.ServerError, message, innerException: innerException)
    {
    }

    public InfluxErrorKind Kind { get; }

    /// <summary>HTTP status of the last answer; null when no answer came.</summary>
    public int? StatusCode { get; }

    /// <summary>The server's <c>error</c> text.</summary>
    public string? ServerMessage { get; }

    /// <summary>HTTP attempts made, retries included.</summary>
    public int Attempts { get; }
}
