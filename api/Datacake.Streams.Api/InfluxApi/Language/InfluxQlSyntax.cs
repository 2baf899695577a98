namespace Datacake.Streams.Api.InfluxApi.Language;

/// <summary>One statement of a query, as the parser recognised it.</summary>
public abstract record InfluxStatement;

public sealed record ShowDatabasesStatement : InfluxStatement;

public sealed record ShowRetentionPoliciesStatement(string? Database) : InfluxStatement;

/// <summary><c>SHOW MEASUREMENTS [ON db] [WITH MEASUREMENT =~ /re/ | = name] [WHERE …] [LIMIT n] [OFFSET n]</c>.</summary>
public sealed record ShowMeasurementsStatement(string? Database, NameCondition? Measurement, InfluxExpr? Where, int Limit, int Offset) : InfluxStatement;

public sealed record ShowFieldKeysStatement(string? Database, IReadOnlyList<MeasurementSource> Sources, int Limit, int Offset) : InfluxStatement;

public sealed record ShowTagKeysStatement(string? Database, IReadOnlyList<MeasurementSource> Sources, InfluxExpr? Where, int Limit, int Offset) : InfluxStatement;

/// <summary><c>SHOW TAG VALUES [ON db] [FROM …] WITH KEY = "k" | != | =~ /re/ | !~ | IN ("a", "b") [WHERE …] [LIMIT] [OFFSET]</c>.</summary>
public sealed record ShowTagValuesStatement(string? Database, IReadOnlyList<MeasurementSource> Sources, NameCondition Key, InfluxExpr? Where, int Limit, int Offset) : InfluxStatement;

/// <summary>A SELECT; <see cref="Limit"/> and friends are 0 when absent (InfluxDB's meaning: no limit).</summary>
public sealed record SelectStatement(
    IReadOnlyList<SelectField> Fields,
    IReadOnlyList<MeasurementSource> Sources,
    InfluxExpr? Where,
    IReadOnlyList<Dimension> GroupBy,
    FillOption? Fill,
    bool Descending,
    int Limit,
    int Offset,
    int SeriesLimit,
    int SeriesOffset,
    string? Timezone) : InfluxStatement
{
    public TimeDimension? Interval => GroupBy.OfType<TimeDimension>().FirstOrDefault();
}

/// <summary>
/// A statement the grammar knows but this node never runs (writes, DROP, CREATE, ALTER, DELETE, GRANT, REVOKE, KILL,
/// SELECT INTO, subqueries, SHOW USERS and the other SHOWs): answered with a statement error, nothing is sent on.
/// </summary>
public sealed record RefusedStatement(string Error) : InfluxStatement;

/// <summary>A name test: <c>= name</c>, <c>!= name</c>, <c>=~ /re/</c>, <c>!~ /re/</c> or <c>IN (a, b)</c>.</summary>
public sealed record NameCondition(NameOperator Operator, IReadOnlyList<string> Names, string? Regex)
{
    public bool Matches(string name) => Operator switch
    {
        NameOperator.Equal => Names.Contains(name, StringComparer.Ordinal),
        NameOperator.In => Names.Contains(name, StringComparer.Ordinal),
        NameOperator.NotEqual => !Names.Contains(name, StringComparer.Ordinal),
        NameOperator.RegexMatch => InfluxRegex.IsMatch(Regex!, name),
        _ => !InfluxRegex.IsMatch(Regex!, name),
    };
}

public enum NameOperator
{
    Equal,
    NotEqual,
    RegexMatch,
    RegexNotMatch,
    In,
}

/// <summary><c>[db.][rp.]name</c> or a regex <c>/re/</c> in FROM.</summary>
public sealed record MeasurementSource(string? Database, string? Policy, string? Name, string? Regex);

public sealed record SelectField(InfluxExpr Expression, string? Alias);

public abstract record Dimension;

/// <summary><c>time(interval[, offset])</c> in nanoseconds.</summary>
public sealed record TimeDimension(long Interval, long Offset) : Dimension;

public sealed record TagDimension(string Name) : Dimension;

public sealed record WildcardDimension : Dimension;

public enum FillKind
{
    Null,
    None,
    Previous,
    Linear,
    Number,
}

public sealed record FillOption(FillKind Kind, double Value);

public abstract record InfluxExpr;

public enum BinaryOperator
{
    Or,
    And,
    Equal,
    NotEqual,
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
    RegexMatch,
    RegexNotMatch,
    Add,
    Subtract,
    Multiply,
    Divide,
    Modulo,
}

public sealed record BinaryExpr(BinaryOperator Operator, InfluxExpr Left, InfluxExpr Right) : InfluxExpr;

public sealed record ParenExpr(InfluxExpr Inner) : InfluxExpr;

public sealed record CallExpr(string Name, IReadOnlyList<InfluxExpr> Arguments) : InfluxExpr;

/// <summary>A field or tag name, with its <c>::field</c>/<c>::tag</c>/<c>::float</c>… cast when given.</summary>
public sealed record VarRef(string Name, string? Cast) : InfluxExpr;

public sealed record WildcardExpr(string? Cast) : InfluxExpr;

public sealed record NumberLiteral(double Value) : InfluxExpr;

public sealed record IntegerLiteral(long Value) : InfluxExpr;

public sealed record StringLiteral(string Value) : InfluxExpr;

/// <summary>A duration in nanoseconds (<c>1h</c>; <c>1700000000000ms</c> is a time since the epoch where compared to time).</summary>
public sealed record DurationLiteral(long Nanoseconds) : InfluxExpr;

public sealed record RegexLiteral(string Pattern) : InfluxExpr;

public sealed record BooleanLiteral(bool Value) : InfluxExpr;

/// <summary><c>now()</c>.</summary>
public sealed record NowExpr : InfluxExpr;
