using System.Text;

namespace Datacake.Streams.Api.InfluxApi.Language;

/// <summary>
/// InfluxQL's scanner (1.x rules): keywords are case-insensitive and reserved, identifiers bare
/// (<c>[A-Za-z_][A-Za-z0-9_]*</c>) or double-quoted, strings single-quoted; inside quotes only <c>\\</c>, <c>\n</c>,
/// <c>\"</c> and <c>\'</c> are escapes and a raw newline is an error; <c>--</c> comments to the end of the line.
/// A regex literal depends on what the parser expects, so the parser asks for it (<see cref="ReadRegex"/>).
/// </summary>
public sealed class InfluxQlLexer(string query)
{
    private static readonly HashSet<string> _keywords = new(StringComparer.Ordinal)
    {
        "ALL", "ALTER", "ANALYZE", "AND", "ANY", "AS", "ASC", "BEGIN", "BY", "CARDINALITY", "CREATE", "CONTINUOUS",
        "DATABASE", "DATABASES", "DEFAULT", "DELETE", "DESC", "DESTINATIONS", "DIAGNOSTICS", "DISTINCT", "DROP",
        "DURATION", "END", "EVERY", "EXACT", "EXPLAIN", "FALSE", "FIELD", "FOR", "FROM", "GRANT", "GRANTS", "GROUP",
        "GROUPS", "IN", "INF", "INSERT", "INTO", "KEY", "KEYS", "KILL", "LIMIT", "MEASUREMENT", "MEASUREMENTS", "NAME",
        "OFFSET", "ON", "OR", "ORDER", "PASSWORD", "POLICY", "POLICIES", "PRIVILEGES", "QUERIES", "QUERY", "READ",
        "REPLICATION", "RESAMPLE", "RETENTION", "REVOKE", "SELECT", "SERIES", "SET", "SHARD", "SHARDS", "SLIMIT",
        "SHOW", "SOFFSET", "STATS", "SUBSCRIPTION", "SUBSCRIPTIONS", "TAG", "TO", "TRUE", "USER", "USERS", "VALUES", "WHERE",
        "WITH", "WRITE",
    };

    private int _position;

    public string Query => query;

    /// <summary>Where the next token starts (after any whitespace already skipped).</summary>
    public int Position => _position;

    public InfluxQlToken Next()
    {
        SkipSpaceAndComments();
        int start = _position;
        if (_position >= query.Length)
        {
            return new InfluxQlToken(InfluxQlTokenKind.End, string.Empty, start);
        }

        char c = query[_position];
        if (char.IsAsciiLetter(c) || c == '_')
        {
            while (_position < query.Length && (char.IsAsciiLetterOrDigit(query[_position]) || query[_position] == '_'))
            {
                _position++;
            }

            string word = query[start.._position];
            string upper = word.ToUpperInvariant();
            return _keywords.Contains(upper)
                ? new InfluxQlToken(InfluxQlTokenKind.Keyword, upper, start)
                : new InfluxQlToken(InfluxQlTokenKind.Identifier, word, start);
        }

        if (char.IsAsciiDigit(c) || (c == '.' && _position + 1 < query.Length && char.IsAsciiDigit(query[_position + 1])))
        {
            return Number(start);
        }

        _position++;
        switch (c)
        {
            case '"':
                return new InfluxQlToken(InfluxQlTokenKind.Identifier, Quoted('"', start), start);
            case '\'':
                return new InfluxQlToken(InfluxQlTokenKind.String, Quoted('\'', start), start);
            case '=':
                return Take('~', InfluxQlTokenKind.RegexMatch, "=~", InfluxQlTokenKind.Equal, "=", start);
            case '!':
                if (_position < query.Length && query[_position] == '=')
                {
                    _position++;
                    return new InfluxQlToken(InfluxQlTokenKind.NotEqual, "!=", start);
                }

                if (_position < query.Length && query[_position] == '~')
                {
                    _position++;
                    return new InfluxQlToken(InfluxQlTokenKind.RegexNotMatch, "!~", start);
                }

                throw new InfluxQlParseException("found !, expected =~, !=", query, start);
            case '<':
                if (_position < query.Length && query[_position] == '>')
                {
                    _position++;
                    return new InfluxQlToken(InfluxQlTokenKind.NotEqual, "<>", start);
                }

                return Take('=', InfluxQlTokenKind.LessOrEqual, "<=", InfluxQlTokenKind.Less, "<", start);
            case '>':
                return Take('=', InfluxQlTokenKind.GreaterOrEqual, ">=", InfluxQlTokenKind.Greater, ">", start);
            case ':':
                if (_position < query.Length && query[_position] == ':')
                {
                    _position++;
                    return new InfluxQlToken(InfluxQlTokenKind.DoubleColon, "::", start);
                }

                throw new InfluxQlParseException("found :, expected ::", query, start);
            case '+':
                return new InfluxQlToken(InfluxQlTokenKind.Plus, "+", start);
            case '-':
                return new InfluxQlToken(InfluxQlTokenKind.Minus, "-", start);
            case '*':
                return new InfluxQlToken(InfluxQlTokenKind.Star, "*", start);
            case '/':
                return new InfluxQlToken(InfluxQlTokenKind.Slash, "/", start);
            case '%':
                return new InfluxQlToken(InfluxQlTokenKind.Percent, "%", start);
            case '(':
                return new InfluxQlToken(InfluxQlTokenKind.LeftParen, "(", start);
            case ')':
                return new InfluxQlToken(InfluxQlTokenKind.RightParen, ")", start);
            case ',':
                return new InfluxQlToken(InfluxQlTokenKind.Comma, ",", start);
            case ';':
                return new InfluxQlToken(InfluxQlTokenKind.Semicolon, ";", start);
            case '.':
                return new InfluxQlToken(InfluxQlTokenKind.Dot, ".", start);
            default:
                throw new InfluxQlParseException($"found {c}, expected a token", query, start);
        }
    }

    /// <summary>A regex literal <c>/…/</c> starting at the next non-space character; <c>\/</c> is a slash, other escapes stay for the regex.</summary>
    public string ReadRegex()
    {
        SkipSpaceAndComments();
        int start = _position;
        if (_position >= query.Length || query[_position] != '/')
        {
            throw new InfluxQlParseException($"found {Describe(start)}, expected regex", query, start);
        }

        _position++;
        var text = new StringBuilder();
        while (true)
        {
            if (_position >= query.Length)
            {
                throw new InfluxQlParseException("found unterminated regex, expected regex", query, start);
            }

            char c = query[_position++];
            if (c == '/')
            {
                return text.ToString();
            }

            if (c == '\\' && _position < query.Length && query[_position] == '/')
            {
                text.Append('/');
                _position++;
            }
            else
            {
                text.Append(c);
            }
        }
    }

    private string Describe(int at) => at >= query.Length ? "EOF" : query[at].ToString();

    private InfluxQlToken Take(char second, InfluxQlTokenKind twoKind, string two, InfluxQlTokenKind oneKind, string one, int start)
    {
        if (_position < query.Length && query[_position] == second)
        {
            _position++;
            return new InfluxQlToken(twoKind, two, start);
        }

        return new InfluxQlToken(oneKind, one, start);
    }

    private InfluxQlToken Number(int start)
    {
        while (_position < query.Length && char.IsAsciiDigit(query[_position]))
        {
            _position++;
        }

        bool fraction = false;
        if (_position + 1 < query.Length && query[_position] == '.' && char.IsAsciiDigit(query[_position + 1]))
        {
            fraction = true;
            _position++;
            while (_position < query.Length && char.IsAsciiDigit(query[_position]))
            {
                _position++;
            }
        }

        if (!fraction && DurationUnitLength() is > 0 and int unit)
        {
            // Durations may chain parts (1h30m), as InfluxDB's scanner reads them.
            _position += unit;
            while (_position < query.Length && char.IsAsciiDigit(query[_position]))
            {
                int partStart = _position;
                while (_position < query.Length && char.IsAsciiDigit(query[_position]))
                {
                    _position++;
                }

                if (DurationUnitLength() is > 0 and int next)
                {
                    _position += next;
                }
                else
                {
                    throw new InfluxQlParseException($"found {query[partStart.._position]}, expected duration unit", query, partStart);
                }
            }

            return new InfluxQlToken(InfluxQlTokenKind.Duration, query[start.._position], start);
        }

        return new InfluxQlToken(fraction ? InfluxQlTokenKind.Number : InfluxQlTokenKind.Integer, query[start.._position], start);
    }

    private int DurationUnitLength()
    {
        ReadOnlySpan<char> rest = query.AsSpan(_position);
        int length = rest.StartsWith("ns") || rest.StartsWith("ms") ? 2
            : rest.Length > 0 && rest[0] is 'u' or 'µ' or 's' or 'm' or 'h' or 'd' or 'w' ? 1
            : 0;

        // "10minutes" is not a duration followed by an identifier: InfluxDB reads it as a bad number.
        if (length > 0 && rest.Length > length && (char.IsAsciiLetterOrDigit(rest[length]) || rest[length] == '_') && !char.IsAsciiDigit(rest[length]))
        {
            throw new InfluxQlParseException($"found {query[_position..(_position + length + 1)]}, expected duration unit", query, _position);
        }

        return length;
    }

    private string Quoted(char quote, int start)
    {
        var text = new StringBuilder();
        while (true)
        {
            if (_position >= query.Length)
            {
                throw new InfluxQlParseException($"found {query[start..]}, expected closing {quote}", query, start);
            }

            char c = query[_position++];
            if (c == quote)
            {
                return text.ToString();
            }

            if (c == '\n')
            {
                throw new InfluxQlParseException("found newline, expected closing quote", query, start);
            }

            if (c == '\\')
            {
                char escaped = _position < query.Length ? query[_position++] : '\0';
                text.Append(escaped switch
                {
                    '\\' => '\\',
                    'n' => '\n',
                    '"' => '"',
                    '\'' => '\'',
                    _ => throw new InfluxQlParseException($"found \\{escaped}, expected a valid escape", query, _position - 2),
                });
            }
            else
            {
                text.Append(c);
            }
        }
    }

    private void SkipSpaceAndComments()
    {
        while (_position < query.Length)
        {
            char c = query[_position];
            if (char.IsWhiteSpace(c))
            {
                _position++;
            }
            else if (c == '-' && _position + 1 < query.Length && query[_position + 1] == '-')
            {
                while (_position < query.Length && query[_position] != '\n')
                {
                    _position++;
                }
            }
            else
            {
                return;
            }
        }
    }
}
