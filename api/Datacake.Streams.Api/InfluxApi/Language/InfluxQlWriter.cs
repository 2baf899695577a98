using System.Globalization;
using System.Text;
using Datacake.Streams.Influx.Querying;

namespace Datacake.Streams.Api.InfluxApi.Language;

/// <summary>
/// Writes syntax back as InfluxQL: every identifier and string through <see cref="InfluxQl"/> quoting, numbers
/// invariant, regexes with <c>/</c> escaped. What reaches InfluxDB is this text of a checked tree, never the caller's.
/// Throws <see cref="ArgumentException"/> for a name InfluxQL cannot spell (control characters).
/// </summary>
public static class InfluxQlWriter
{
    public static string Expression(InfluxExpr expression) => Append(new StringBuilder(), expression).ToString();

    public static StringBuilder Append(StringBuilder text, InfluxExpr expression)
    {
        switch (expression)
        {
            case BinaryExpr binary:
                Append(text, binary.Left).Append(' ').Append(Symbol(binary.Operator)).Append(' ');
                return Append(text, binary.Right);
            case ParenExpr paren:
                return Append(text.Append('('), paren.Inner).Append(')');
            case CallExpr call:
                text.Append(call.Name).Append('(');
                for (int i = 0; i < call.Arguments.Count; i++)
                {
                    if (i > 0)
                    {
                        text.Append(", ");
                    }

                    Append(text, call.Arguments[i]);
                }

                return text.Append(')');
            case VarRef reference:
                text.Append(InfluxQl.QuoteIdentifier(reference.Name));
                return reference.Cast is null ? text : text.Append("::").Append(reference.Cast);
            case WildcardExpr wildcard:
                text.Append('*');
                return wildcard.Cast is null ? text : text.Append("::").Append(wildcard.Cast);
            case NumberLiteral number:
                string formatted = number.Value.ToString("R", CultureInfo.InvariantCulture);
                return text.Append(formatted.Contains('.', StringComparison.Ordinal) || formatted.Contains('E', StringComparison.Ordinal) ? formatted : formatted + ".0");
            case IntegerLiteral integer:
                return text.Append(integer.Value.ToString(CultureInfo.InvariantCulture));
            case StringLiteral literal:
                return text.Append(InfluxQl.QuoteString(literal.Value));
            case DurationLiteral duration:
                return text.Append(duration.Nanoseconds.ToString(CultureInfo.InvariantCulture)).Append("ns");
            case RegexLiteral regex:
                return text.Append(Regex(regex.Pattern));
            case BooleanLiteral boolean:
                return text.Append(boolean.Value ? "true" : "false");
            case NowExpr:
                return text.Append("now()");
            default:
                throw new ArgumentOutOfRangeException(nameof(expression), expression.GetType().Name, "no InfluxQL for this node");
        }
    }

    /// <summary>A regex literal: <c>/</c> escaped; a newline, which the scanner would end the literal on, refused.</summary>
    public static string Regex(string pattern)
    {
        if (pattern.Any(char.IsControl))
        {
            throw new ArgumentException("A regex here cannot hold control characters.", nameof(pattern));
        }

        return "/" + pattern.Replace("/", "\\/", StringComparison.Ordinal) + "/";
    }

    public static string Duration(long nanoseconds) => nanoseconds.ToString(CultureInfo.InvariantCulture) + "ns";

    public static string Symbol(BinaryOperator op) => op switch
    {
        BinaryOperator.Or => "OR",
        BinaryOperator.And => "AND",
        BinaryOperator.Equal => "=",
        BinaryOperator.NotEqual => "!=",
        BinaryOperator.Less => "<",
        BinaryOperator.LessOrEqual => "<=",
        BinaryOperator.Greater => ">",
        BinaryOperator.GreaterOrEqual => ">=",
        BinaryOperator.RegexMatch => "=~",
        BinaryOperator.RegexNotMatch => "!~",
        BinaryOperator.Add => "+",
        BinaryOperator.Subtract => "-",
        BinaryOperator.Multiply => "*",
        BinaryOperator.Divide => "/",
        _ => "%",
    };

    /// <summary>A whole SELECT as parsed (sources as written): for tests and error messages, not for InfluxDB.</summary>
    public static string Statement(SelectStatement select)
    {
        var text = new StringBuilder("SELECT ");
        for (int i = 0; i < select.Fields.Count; i++)
        {
            if (i > 0)
            {
                text.Append(", ");
            }

            Append(text, select.Fields[i].Expression);
            if (select.Fields[i].Alias is { } alias)
            {
                text.Append(" AS ").Append(InfluxQl.QuoteIdentifier(alias));
            }
        }

        text.Append(" FROM ").AppendJoin(", ", select.Sources.Select(Source));
        if (select.Where is { } where)
        {
            Append(text.Append(" WHERE "), where);
        }

        if (select.GroupBy.Count > 0)
        {
            text.Append(" GROUP BY ").AppendJoin(", ", select.GroupBy.Select(d => d switch
            {
                TimeDimension t => $"time({Duration(t.Interval)}{(t.Offset != 0 ? ", " + Duration(t.Offset) : string.Empty)})",
                TagDimension tag => InfluxQl.QuoteIdentifier(tag.Name),
                _ => "*",
            }));
        }

        if (select.Fill is { } fill)
        {
            text.Append(" fill(").Append(fill.Kind == FillKind.Number ? fill.Value.ToString("R", CultureInfo.InvariantCulture) : fill.Kind.ToString().ToLowerInvariant()).Append(')');
        }

        if (select.Descending)
        {
            text.Append(" ORDER BY time DESC");
        }

        AppendCount(text, "LIMIT", select.Limit);
        AppendCount(text, "OFFSET", select.Offset);
        AppendCount(text, "SLIMIT", select.SeriesLimit);
        AppendCount(text, "SOFFSET", select.SeriesOffset);
        if (select.Timezone is { } zone)
        {
            text.Append(" tz(").Append(InfluxQl.QuoteString(zone)).Append(')');
        }

        return text.ToString();
    }

    public static string Source(MeasurementSource source)
    {
        var text = new StringBuilder();
        if (source.Database is { } database)
        {
            text.Append(InfluxQl.QuoteIdentifier(database)).Append('.');
            text.Append(source.Policy is { } p ? InfluxQl.QuoteIdentifier(p) : string.Empty).Append('.');
        }
        else if (source.Policy is { } policy)
        {
            text.Append(InfluxQl.QuoteIdentifier(policy)).Append('.');
        }

        return text.Append(source.Regex is { } regex ? Regex(regex) : InfluxQl.QuoteIdentifier(source.Name!)).ToString();
    }

    private static void AppendCount(StringBuilder text, string keyword, int value)
    {
        if (value > 0)
        {
            text.Append(' ').Append(keyword).Append(' ').Append(value.ToString(CultureInfo.InvariantCulture));
        }
    }
}
