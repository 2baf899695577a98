namespace Datacake.Streams.Influx.Client;

/// <summary>A write failed; <see cref="InfluxException.Kind"/> says why, and whether the server kept part of the batch.</summary>
public sealed class InfluxWriteException : InfluxException
{
    public InfluxWriteException(
        InfluxErrorKind kind,
        string message,
        int? statusCode = null,
        string? serverMessage = null,
        IReadOnlyList<RejectedLine>? rejectedLines = null,
        int rejectedCount = 0,
        bool serverKeptValidPoints = false,
        int attempts = 1,
        Exception? innerException = null)
        : base(kind, message, statusCode, serverMessage, attempts, innerException)
    {
        RejectedLines = rejectedLines ?? [];
        RejectedCount = rejectedCount;
        ServerKeptValidPoints = serverKeptValidPoints;
    }

    public InfluxWriteException()
        : this(InfluxErrorKind.ServerError, "InfluxDB write failed.")
    {
    }

    public InfluxWriteException(string message)
        : this(InfluxErrorKind.ServerError, message)
    {
    }

    public InfluxWriteException(string message, Exception innerException)
        : this(InfluxErrorKind.ServerError, message, innerException: innerException)
    {
    }

    /// <summary>
    /// The points the server refused that the client could name, by 0-based index in the batch, in index order.
    /// A line that failed to parse is named by its text; a field type conflict or an invalid key by measurement
    /// and key. Empty for errors that refuse the request as a whole (auth, not found, too large, 5xx).
    /// </summary>
    public IReadOnlyList<RejectedLine> RejectedLines { get; }

    /// <summary>How many points the server refused, named or not; the whole batch when it kept none.</summary>
    public int RejectedCount { get; }

    /// <summary>True for a partial write: InfluxDB stored every point except the refused ones. False: it stored none.</summary>
    public bool ServerKeptValidPoints { get; }
}
