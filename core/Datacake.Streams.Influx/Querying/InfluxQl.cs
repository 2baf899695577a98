using System.Text;

namespace Datacake.Streams.Influx.Querying;

/// <summary>
/// Quoting for InfluxQL text built from input. InfluxQL has no bind parameters over HTTP in 1.6, so every
/// identifier and string literal that comes from outside goes through here.
/// </summary>
/// <remarks>
/// InfluxQL's scanner (1.x) accepts exactly the escapes <c>\\</c>, <c>\n</c>, <c>\"</c> and <c>\'</c> inside
/// quotes, and refuses a raw newline (BADSTRING). So: backslash and the quote char are escaped, a newline is
/// written as <c>\n</c>, and other control characters, which cannot be spelled at all, are refused.
/// </remarks>
public static class InfluxQl
{
    /// <summary>
    /// A double-quoted identifier (database, retention policy, measurement, tag or field key):
    /// <c>a"b</c> → <c>"a\"b"</c>. Refuses empty names and control characters.
    /// </summary>
    public static string QuoteIdentifier(string identifier)
    {
        RequireIdentifier(identifier);
        return Quote(identifier, '"');
    }

    /// <summary>A single-quoted string literal (tag values, passwords, durations as text): <c>it's</c> → <c>'it\'s'</c>.</summary>
    public static string QuoteString(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        foreach (char c in value)
        {
            if (char.IsControl(c) && c != '\n')
            {
                throw new ArgumentException($"An InfluxQL string cannot hold control character U+{(int)c:X4}.", nameof(value));
            }
        }

        return Quote(value, '\'');
    }

    /// <summary>True for a name usable as an identifier: not empty, no control characters, valid UTF-16.</summary>
    public static bool IsValidIdentifier(string? identifier)
    {
        if (string.IsNullOrEmpty(identifier))
        {
            return false;
        }

        for (int i = 0; i < identifier.Length; i++)
        {
            char c = identifier[i];
            if (char.IsControl(c))
            {
                return false;
            }

            if (char.IsHighSurrogate(c) && i + 1 < identifier.Length && char.IsLowSurrogate(identifier[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(c))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Throws <see cref="ArgumentException"/> unless <see cref="IsValidIdentifier"/>.</summary>
    public static void RequireIdentifier(string identifier, string? parameterName = null)
    {
        if (!IsValidIdentifier(identifier))
        {
            throw new ArgumentException("An InfluxQL identifier must be non-empty, valid Unicode and free of control characters.", parameterName ?? nameof(identifier));
        }
    }

    private static string Quote(string text, char quote)
    {
        var builder = new StringBuilder(text.Length + 2);
        builder.Append(quote);
        foreach (char c in text)
        {
            if (c == '\\' || c == quote)
            {
                builder.Append('\\').Append(c);
            }
            else if (c == '\n')
            {
                builder.Append("\\n");
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.Append(quote).ToString();
    }
}
