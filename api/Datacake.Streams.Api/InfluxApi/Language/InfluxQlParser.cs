using System.Globalization;

namespace Datacake.Streams.Api.InfluxApi.Language;

/// <summary>
/// Recursive-descent parser of the InfluxQL this node answers (docs/QUERIES.md, "InfluxDB-compatible API"): SHOW
/// DATABASES, RETENTION POLICIES, MEASUREMENTS, FIELD KEYS, TAG KEYS, TAG VALUES and SELECT. Statements the grammar
/// knows but that never run here become <see cref="RefusedStatement"/>; anything else throws
/// <see cref="InfluxQlParseException"/> (the request is refused as a whole, as InfluxDB does).
/// </summary>
public sealed partial class InfluxQlParser
{
    /// <summary>Statement keywords InfluxDB 1.6 knows, in the order its parse errors list them.</summary>
    private const string StatementKeywords = "SELECT, DELETE, SHOW, CREATE, DROP, EXPLAIN, GRANT, REVOKE, ALTER, SET, KILL";

    private readonly InfluxQlLexer _lexer;
    private InfluxQlToken? _peeked;

    private InfluxQlParser(string query) => _lexer = new InfluxQlLexer(query);

    /// <summary>Every statement of <paramref name="query"/> (separated by <c>;</c>), or throws <see cref="InfluxQlParseException"/>.</summary>
    public static IReadOnlyList<InfluxStatement> Parse(string query)
    {
        ArgumentNullException.ThrowIfNull(query);
        var parser = new InfluxQlParser(query);
        var statements = new List<InfluxStatement>();
        while (true)
        {
            InfluxQlToken first = parser.Peek();
            if (first.Kind == InfluxQlTokenKind.Semicolon)
            {
                parser.Next();
                continue;
            }

            if (first.Kind == InfluxQlTokenKind.End)
            {
                if (statements.Count == 0)
                {
                    throw parser.Error(first, StatementKeywords);
                }

                return statements;
            }

            statements.Add(parser.Statement());
            InfluxQlToken after = parser.Next();
            if (after.Kind == InfluxQlTokenKind.End)
            {
                return statements;
            }

            if (after.Kind != InfluxQlTokenKind.Semicolon)
            {
                throw parser.Error(after, ";");
            }
        }
    }

    private InfluxStatement Statement()
    {
        InfluxQlToken token = Next();
        if (token.Kind != InfluxQlTokenKind.Keyword)
        {
            throw Error(token, StatementKeywords);
        }

        switch (token.Text)
        {
            case "SELECT":
                return Select();
            case "SHOW":
                return Show();
            case "DELETE" or "CREATE" or "DROP" or "EXPLAIN" or "GRANT" or "REVOKE" or "ALTER" or "SET" or "KILL" or "INSERT":
                return Refuse(token.Text);
            default:
                throw Error(token, StatementKeywords);
        }
    }

    private InfluxStatement Show()
    {
        InfluxQlToken what = Next();
        switch (what.Kind == InfluxQlTokenKind.Keyword ? what.Text : string.Empty)
        {
            case "DATABASES":
                return new ShowDatabasesStatement();
            case "RETENTION":
                Expect("POLICIES");
                return new ShowRetentionPoliciesStatement(OptionalOn());
            case "MEASUREMENTS":
                return ShowMeasurements();
            case "FIELD" when Peek().Is("KEYS"):
                Next();
                {
                    string? database = OptionalOn();
                    IReadOnlyList<MeasurementSource> sources = OptionalFrom();
                    (int limit, int offset) = LimitOffset();
                    return new ShowFieldKeysStatement(database, sources, limit, offset);
                }

            case "TAG" when Peek().Is("KEYS"):
                Next();
                {
                    string? database = OptionalOn();
                    IReadOnlyList<MeasurementSource> sources = OptionalFrom();
                    InfluxExpr? where = OptionalWhere();
                    (int limit, int offset) = LimitOffset();
                    return new ShowTagKeysStatement(database, sources, where, limit, offset);
                }

            case "TAG" when Peek().Is("VALUES"):
                Next();
                return ShowTagValues();
            case "":
                throw Error(what, "CONTINUOUS, DATABASES, DIAGNOSTICS, FIELD, GRANTS, MEASUREMENT, MEASUREMENTS, QUERIES, RETENTION, SERIES, SHARD, SHARDS, STATS, SUBSCRIPTIONS, TAG, USERS");
            default:
                return Refuse("SHOW " + what.Text);
        }
    }

    private ShowMeasurementsStatement ShowMeasurements()
    {
        string? database = OptionalOn();
        NameCondition? measurement = null;
        if (Peek().Is("WITH"))
        {
            Next();
            Expect("MEASUREMENT");
            InfluxQlToken op = Next();
            measurement = op.Kind switch
            {
                InfluxQlTokenKind.Equal => new NameCondition(NameOperator.Equal, [MeasurementName()], null),
                InfluxQlTokenKind.RegexMatch => new NameCondition(NameOperator.RegexMatch, [], Regex()),
                _ => throw Error(op, "= or =~"),
            };
        }

        InfluxExpr? where = OptionalWhere();
        (int limit, int offset) = LimitOffset();
        return new ShowMeasurementsStatement(database, measurement, where, limit, offset);
    }

    private ShowTagValuesStatement ShowTagValues()
    {
        string? database = OptionalOn();
        IReadOnlyList<MeasurementSource> sources = OptionalFrom();
        Expect("WITH");
        Expect("KEY");
        InfluxQlToken op = Next();
        NameCondition key;
        switch (op.Kind)
        {
            case InfluxQlTokenKind.Equal:
                key = new NameCondition(NameOperator.Equal, [Identifier()], null);
                break;
            case InfluxQlTokenKind.NotEqual:
                key = new NameCondition(NameOperator.NotEqual, [Identifier()], null);
                break;
            case InfluxQlTokenKind.RegexMatch:
                key = new NameCondition(NameOperator.RegexMatch, [], Regex());
                break;
            case InfluxQlTokenKind.RegexNotMatch:
                key = new NameCondition(NameOperator.RegexNotMatch, [], Regex());
                break;
            case InfluxQlTokenKind.Keyword when op.Text == "IN":
                Expect(InfluxQlTokenKind.LeftParen, "(");
                var names = new List<string> { Identifier() };
                while (Peek().Kind == InfluxQlTokenKind.Comma)
                {
                    Next();
                    names.Add(Identifier());
                }

                Expect(InfluxQlTokenKind.RightParen, ")");
                key = new NameCondition(NameOperator.In, names, null);
                break;
            default:
                throw Error(op, "=, !=, =~, !~, IN");
        }

        InfluxExpr? where = OptionalWhere();
        (int limit, int offset) = LimitOffset();
        return new ShowTagValuesStatement(database, sources, key, where, limit, offset);
    }

    /// <summary>Skips to the end of the statement: its text never reaches InfluxDB, whatever it says.</summary>
    private RefusedStatement Refuse(string what)
    {
        while (Peek().Kind is not (InfluxQlTokenKind.End or InfluxQlTokenKind.Semicolon))
        {
            Next();
        }

        return new RefusedStatement($"{what} is not allowed: this InfluxDB-compatible API only reads, within the devices the token may read");
    }

    private string? OptionalOn()
    {
        if (!Peek().Is("ON"))
        {
            return null;
        }

        Next();
        return Identifier();
    }

    private IReadOnlyList<MeasurementSource> OptionalFrom()
    {
        if (!Peek().Is("FROM"))
        {
            return [];
        }

        Next();
        return Sources();
    }

    private InfluxExpr? OptionalWhere()
    {
        if (!Peek().Is("WHERE"))
        {
            return null;
        }

        Next();
        return Expression();
    }

    private (int Limit, int Offset) LimitOffset()
    {
        int limit = 0;
        int offset = 0;
        if (Peek().Is("LIMIT"))
        {
            Next();
            limit = Count();
        }

        if (Peek().Is("OFFSET"))
        {
            Next();
            offset = Count();
        }

        return (limit, offset);
    }

    private List<MeasurementSource> Sources()
    {
        var sources = new List<MeasurementSource> { Source() };
        while (Peek().Kind == InfluxQlTokenKind.Comma)
        {
            Next();
            sources.Add(Source());
        }

        return sources;
    }

    private MeasurementSource Source()
    {
        if (Peek().Kind == InfluxQlTokenKind.Slash)
        {
            return new MeasurementSource(null, null, null, Regex());
        }

        // Up to three dotted parts: db.rp.m, rp.m, m, and db..m (the default policy); the last may be a regex.
        var parts = new List<string?>(3);
        InfluxQlToken first = Peek();
        parts.Add(first.Kind == InfluxQlTokenKind.Dot ? null : Identifier());
        while (Peek().Kind == InfluxQlTokenKind.Dot && parts.Count < 3)
        {
            Next();
            if (Peek().Kind == InfluxQlTokenKind.Dot)
            {
                parts.Add(null);
                continue;
            }

            if (Peek().Kind == InfluxQlTokenKind.Slash)
            {
                string regex = Regex();
                return Dotted(parts, null, regex, first);
            }

            parts.Add(Identifier());
        }

        string? name = parts[^1];
        parts.RemoveAt(parts.Count - 1);
        return Dotted(parts, name ?? throw Error(first, "measurement name"), null, first);
    }

    private MeasurementSource Dotted(List<string?> prefix, string? name, string? regex, InfluxQlToken at) => prefix.Count switch
    {
        0 => new MeasurementSource(null, null, name, regex),
        1 => new MeasurementSource(null, prefix[0], name, regex),
        2 => new MeasurementSource(prefix[0], prefix[1], name, regex),
        _ => throw Error(at, "measurement"),
    };

    private string MeasurementName() => Peek().Kind == InfluxQlTokenKind.Slash ? throw Error(Peek(), "identifier") : Identifier();

    private string Regex()
    {
        if (_peeked is { } peeked)
        {
            throw Error(peeked, "regex");
        }

        int at = _lexer.Position;
        string pattern = _lexer.ReadRegex();
        if (InfluxRegex.Check(pattern) is { } problem)
        {
            throw new InfluxQlParseException("invalid regex: " + problem.ReplaceLineEndings(" "), _lexer.Query, at);
        }

        return pattern;
    }

    private string Identifier()
    {
        InfluxQlToken token = Next();
        return token.Kind == InfluxQlTokenKind.Identifier ? token.Text : throw Error(token, "identifier");
    }

    private int Count()
    {
        InfluxQlToken token = Next();
        return token.Kind == InfluxQlTokenKind.Integer && int.TryParse(token.Text, NumberStyles.None, CultureInfo.InvariantCulture, out int value)
            ? value
            : throw Error(token, "integer");
    }

    private void Expect(string keyword)
    {
        InfluxQlToken token = Next();
        if (!token.Is(keyword))
        {
            throw Error(token, keyword);
        }
    }

    private void Expect(InfluxQlTokenKind kind, string what)
    {
        InfluxQlToken token = Next();
        if (token.Kind != kind)
        {
            throw Error(token, what);
        }
    }

    private InfluxQlToken Peek() => _peeked ??= _lexer.Next();

    private InfluxQlToken Next()
    {
        if (_peeked is { } token)
        {
            _peeked = null;
            return token;
        }

        return _lexer.Next();
    }

    private InfluxQlParseException Error(InfluxQlToken found, string expected) =>
        new($"found {found.Describe()}, expected {expected}", _lexer.Query, found.Position);
}
