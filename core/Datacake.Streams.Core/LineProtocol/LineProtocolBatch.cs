namespace Datacake.Streams.LineProtocol;

/// <summary>
/// The point lines of a line-protocol body, in order, as InfluxDB 1.x scans them (models.scanLine): a newline inside a
/// quoted string field value does not end the line; leading blanks are skipped; blank lines and <c>#</c> comment lines
/// are not points; a trailing <c>\r</c> is dropped (Windows line ends). A view over the caller's bytes: nothing is
/// copied or allocated.
/// </summary>
public ref struct LineProtocolBatch
{
    private ReadOnlySpan<byte> _rest;

    public LineProtocolBatch(ReadOnlySpan<byte> body) => _rest = body;

    /// <summary>The next point line (never empty, never a comment); false at the end of the body.</summary>
    public bool TryNext(out ReadOnlySpan<byte> line)
    {
        while (!_rest.IsEmpty)
        {
            var end = LineEnd(_rest);
            line = _rest[..end];
            _rest = end < _rest.Length ? _rest[(end + 1)..] : default;
            var start = 0;
            while (start < line.Length && line[start] is (byte)' ' or (byte)'\t' or 0)
            {
                start++;
            }

            line = line[start..];
            if (!line.IsEmpty && line[^1] == (byte)'\r')
            {
                line = line[..^1];
            }

            if (!line.IsEmpty && line[0] != (byte)'#')
            {
                return true;
            }
        }

        line = default;
        return false;
    }

    /// <summary>
    /// Where the line starting at <paramref name="buffer"/>'s start ends: the index of its newline, or the length. A
    /// quote toggles a string only where a field value starts or inside one (more '=' than ',' seen in the fields),
    /// as InfluxDB counts them.
    /// </summary>
    internal static int LineEnd(ReadOnlySpan<byte> buffer)
    {
        // Fast path: no quote or backslash before the first newline, the common case (numeric fields).
        var newline = buffer.IndexOf((byte)'\n');
        var head = newline < 0 ? buffer : buffer[..newline];
        if (!head.ContainsAny((byte)'"', (byte)'\\'))
        {
            return newline < 0 ? buffer.Length : newline;
        }

        var quoted = false;
        var inFields = false;
        var equals = 0;
        var commas = 0;
        var i = 0;
        while (i < buffer.Length)
        {
            var b = buffer[i];
            if (b == (byte)'\\' && i + 2 < buffer.Length)
            {
                i += 2;
                continue;
            }

            if (b == (byte)' ')
            {
                inFields = true;
            }

            if (inFields && !quoted && b == (byte)'=')
            {
                equals++;
            }
            else if (inFields && !quoted && b == (byte)',')
            {
                commas++;
            }
            else if (inFields && b == (byte)'"' && equals > commas)
            {
                quoted = !quoted;
            }
            else if (b == (byte)'\n' && !quoted)
            {
                return i;
            }

            i++;
        }

        return i;
    }
}
