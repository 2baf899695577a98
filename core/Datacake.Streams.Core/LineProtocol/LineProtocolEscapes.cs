namespace Datacake.Streams.LineProtocol;

/// <summary>Unescaping of line-protocol names and string values into a caller's buffer (at least as long as the input).</summary>
public static class LineProtocolEscapes
{
    /// <summary>
    /// A measurement (<paramref name="measurement"/>: <c>\,</c> and <c>\ </c>) or a tag key, tag value or field key
    /// (also <c>\=</c>); a backslash before anything else stays, as InfluxDB 1.x reads it.
    /// </summary>
    public static int UnescapeName(ReadOnlySpan<byte> escaped, Span<byte> destination, bool measurement = false)
    {
        if (escaped.IndexOf((byte)'\\') < 0)
        {
            escaped.CopyTo(destination);
            return escaped.Length;
        }

        var written = 0;
        for (var i = 0; i < escaped.Length; i++)
        {
            var b = escaped[i];
            if (b == (byte)'\\' && i + 1 < escaped.Length && (escaped[i + 1] is (byte)',' or (byte)' ' || (!measurement && escaped[i + 1] == (byte)'=')))
            {
                b = escaped[++i];
            }

            destination[written++] = b;
        }

        return written;
    }

    /// <summary>A string field value between its quotes: <c>\"</c> and <c>\\</c> unescaped, any other backslash kept.</summary>
    public static int UnescapeString(ReadOnlySpan<byte> escaped, Span<byte> destination)
    {
        if (escaped.IndexOf((byte)'\\') < 0)
        {
            escaped.CopyTo(destination);
            return escaped.Length;
        }

        var written = 0;
        for (var i = 0; i < escaped.Length; i++)
        {
            var b = escaped[i];
            if (b == (byte)'\\' && i + 1 < escaped.Length && escaped[i + 1] is (byte)'"' or (byte)'\\')
            {
                b = escaped[++i];
            }

            destination[written++] = b;
        }

        return written;
    }
}
