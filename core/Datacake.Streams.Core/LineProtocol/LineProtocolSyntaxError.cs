namespace Datacake.Streams.LineProtocol;

/// <summary>Why a line is not InfluxDB line protocol; <see cref="LineProtocolSyntax.Describe"/> gives InfluxDB 1.x's own wording.</summary>
public enum LineProtocolSyntaxError
{
    None,
    MissingMeasurement,
    MissingTagKey,
    MissingTagValue,
    InvalidTagFormat,
    MissingFields,
    MissingFieldKey,
    MissingFieldValue,
    InvalidFieldFormat,
    InvalidNumber,
    InvalidBoolean,
    UnbalancedQuotes,
    BadTimestamp,
}

/// <summary>The texts of <see cref="LineProtocolSyntaxError"/>.</summary>
public static class LineProtocolSyntax
{
    /// <summary>
    /// InfluxDB 1.6.7's message for the error (as in <c>unable to parse 'LINE': missing fields</c>), so that a client that
    /// greps its logs for them finds the same words here.
    /// </summary>
    public static string Describe(LineProtocolSyntaxError error) => error switch
    {
        LineProtocolSyntaxError.None => "no error",
        LineProtocolSyntaxError.MissingMeasurement => "missing measurement",
        LineProtocolSyntaxError.MissingTagKey => "missing tag key",
        LineProtocolSyntaxError.MissingTagValue => "missing tag value",
        LineProtocolSyntaxError.InvalidTagFormat => "invalid tag format",
        LineProtocolSyntaxError.MissingFields => "missing fields",
        LineProtocolSyntaxError.MissingFieldKey => "missing field key",
        LineProtocolSyntaxError.MissingFieldValue => "missing field value",
        LineProtocolSyntaxError.InvalidFieldFormat => "invalid field format",
        LineProtocolSyntaxError.InvalidNumber => "invalid number",
        LineProtocolSyntaxError.InvalidBoolean => "invalid boolean",
        LineProtocolSyntaxError.UnbalancedQuotes => "unbalanced quotes",
        LineProtocolSyntaxError.BadTimestamp => "bad timestamp",
        _ => "invalid line",
    };
}
