namespace Datacake.Streams.Influx.LineProtocol;

/// <summary>
/// A point could not be encoded. Thrown before any byte of the offending element is written; the line under
/// construction is incomplete and must be discarded (an <see cref="InfluxPointBatch"/> does it itself).
/// </summary>
public sealed class LineProtocolException : Exception
{
    public LineProtocolException(LineProtocolError error, string element, string message)
        : base(message)
    {
        Error = error;
        Element = element;
    }

    public LineProtocolException()
        : this(LineProtocolError.OutOfOrder, string.Empty, "Invalid line protocol.")
    {
    }

    public LineProtocolException(string message)
        : this(LineProtocolError.OutOfOrder, string.Empty, message)
    {
    }

    public LineProtocolException(string message, Exception innerException)
        : base(message, innerException)
    {
        Element = string.Empty;
    }

    public LineProtocolError Error { get; }

    /// <summary>Which element was refused: "measurement", "tag key", "tag value", "field key", "field value", "timestamp".</summary>
    public string Element { get; }
}
