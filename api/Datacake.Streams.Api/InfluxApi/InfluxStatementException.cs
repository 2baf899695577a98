namespace Datacake.Streams.Api.InfluxApi;

/// <summary>A statement that parsed but cannot run here: its result carries <c>"error"</c> (HTTP 200, as InfluxDB answers).</summary>
public sealed class InfluxStatementException : Exception
{
    public InfluxStatementException()
    {
    }

    public InfluxStatementException(string message)
        : base(message)
    {
    }

    public InfluxStatementException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
