namespace Datacake.Streams.Influx.LineProtocol;

/// <summary>Why a value could not be written as InfluxDB line protocol.</summary>
public enum LineProtocolError
{
    /// <summary>A measurement, tag key, tag value or field key is empty: InfluxDB rejects the line.</summary>
    EmptyName,

    /// <summary>
    /// A name holds a control character (U+0000-U+001F, U+007F). Line protocol has no escape for newlines,
    /// and InfluxDB 1.x silently strips leading tabs, so such a name cannot round-trip.
    /// </summary>
    ControlCharacter,

    /// <summary>
    /// A name has a backslash that InfluxDB 1.x would read as an escape: a trailing backslash or one before
    /// a backslash, comma, equals sign, space or double quote. Measured on 1.6.7: <c>t=c\\ f=1</c> fails to
    /// parse and <c>t=a\\ b</c> comes back as <c>a\ b</c>, so there is no spelling that round-trips.
    /// </summary>
    AmbiguousBackslash,

    /// <summary>A measurement starts with '#': InfluxDB takes the whole line for a comment and drops it.</summary>
    CommentMeasurement,

    /// <summary>The text is not valid UTF-16 (a lone surrogate).</summary>
    InvalidUnicode,

    /// <summary>NaN or an infinity: InfluxDB has no line-protocol spelling for them and rejects the line.</summary>
    NonFiniteFloat,

    /// <summary>Text given as a plain decimal float is not one (<c>-?[0-9]+(.[0-9]+)?</c>, at most 32 bytes).</summary>
    NotPlainDecimal,

    /// <summary>Calls out of order: a tag after a field, a field before the measurement, a line without a field.</summary>
    OutOfOrder,
}
