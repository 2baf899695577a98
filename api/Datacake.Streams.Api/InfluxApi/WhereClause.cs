using Datacake.Streams.Api.Access;
using Datacake.Streams.Api.InfluxApi.Language;
using Datacake.Streams.Payloads.Time;

namespace Datacake.Streams.Api.InfluxApi;

/// <summary>
/// A WHERE clause taken apart: its top-level AND terms are a time range, conditions on the virtual tags (evaluated
/// HERE, against the caller's own devices: no tag value or regex of the caller reaches InfluxDB) and conditions on
/// fields (re-written for InfluxDB, where they can only see the devices already chosen). A term mixing kinds is refused.
/// </summary>
/// <param name="From">Inclusive lower bound in epoch nanoseconds, null when the clause has none.</param>
/// <param name="To">Exclusive upper bound in epoch nanoseconds, null when the clause has none.</param>
public sealed record WhereClause(long? From, long? To, IReadOnlyList<InfluxExpr> TagConditions, IReadOnlyList<InfluxExpr> FieldConditions)
{
    public static readonly WhereClause Empty = new(null, null, [], []);

    public static WhereClause Split(InfluxExpr? where, long nowNanoseconds)
    {
        if (where is null)
        {
            return Empty;
        }

        long? from = null;
        long? to = null;
        var tags = new List<InfluxExpr>();
        var fields = new List<InfluxExpr>();
        foreach (InfluxExpr term in Conjuncts(where))
        {
            var names = new List<VarRef>();
            CollectReferences(term, names);
            bool time = names.Any(n => n.Name.Equals("time", StringComparison.OrdinalIgnoreCase));
            bool tag = names.Any(IsTagReference);
            bool field = names.Any(n => !IsTagReference(n) && !n.Name.Equals("time", StringComparison.OrdinalIgnoreCase));
            if (time)
            {
                if (tag || field)
                {
                    throw new InfluxStatementException("invalid time condition: combine time with other conditions by AND only");
                }

                (long? lower, long? upper) = TimeBounds(Unwrap(term), nowNanoseconds);
                from = lower is { } l ? Math.Max(from ?? long.MinValue, l) : from;
                to = upper is { } u ? Math.Min(to ?? long.MaxValue, u) : to;
            }
            else if (tag && field)
            {
                throw new InfluxStatementException("a condition mixes tags and fields under OR: this API evaluates tag conditions itself, join them with AND");
            }
            else if (tag || !field)
            {
                tags.Add(term);
            }
            else
            {
                fields.Add(term);
            }
        }

        return new WhereClause(from, to, tags, fields);
    }

    /// <summary>Whether every tag condition holds for <paramref name="device"/>.</summary>
    public bool Admits(ReadableDevice device) => TagConditions.All(c => Holds(c, device));

    /// <summary>A tag condition for one device: tags compared with single-quoted strings or regexes, AND, OR, parentheses.</summary>
    public static bool Holds(InfluxExpr condition, ReadableDevice device)
    {
        switch (condition)
        {
            case ParenExpr paren:
                return Holds(paren.Inner, device);
            case BooleanLiteral boolean:
                return boolean.Value;
            case BinaryExpr { Operator: BinaryOperator.And } and:
                return Holds(and.Left, device) && Holds(and.Right, device);
            case BinaryExpr { Operator: BinaryOperator.Or } or:
                return Holds(or.Left, device) || Holds(or.Right, device);
            case BinaryExpr { Operator: BinaryOperator.RegexMatch or BinaryOperator.RegexNotMatch, Left: VarRef tag, Right: RegexLiteral regex }:
                bool matches = InfluxRegex.IsMatch(regex.Pattern, VirtualSchema.TagValue(device, tag.Name));
                return ((BinaryExpr)condition).Operator == BinaryOperator.RegexMatch ? matches : !matches;
            case BinaryExpr { Operator: BinaryOperator.Equal or BinaryOperator.NotEqual } compare:
                (VarRef? reference, string? value) = compare switch
                {
                    { Left: VarRef l, Right: StringLiteral r } => (l, r.Value),
                    { Left: StringLiteral l, Right: VarRef r } => (r, l.Value),
                    _ => ((VarRef?)null, (string?)null),
                };
                if (reference is null)
                {
                    throw new InfluxStatementException("compare tags with single-quoted strings ('boiler') or regexes (/^boil/)");
                }

                bool equal = string.Equals(VirtualSchema.TagValue(device, reference.Name), value, StringComparison.Ordinal);
                return compare.Operator == BinaryOperator.Equal ? equal : !equal;
            default:
                throw new InfluxStatementException("unsupported tag condition: use =, !=, =~, !~ against strings and regexes, AND, OR and parentheses");
        }
    }

    private static bool IsTagReference(VarRef reference) => reference.Cast == "tag" || (reference.Cast is null && VirtualSchema.IsTag(reference.Name));

    private static IEnumerable<InfluxExpr> Conjuncts(InfluxExpr expression)
    {
        InfluxExpr inner = Unwrap(expression);
        if (inner is BinaryExpr { Operator: BinaryOperator.And } and)
        {
            foreach (InfluxExpr term in Conjuncts(and.Left))
            {
                yield return term;
            }

            foreach (InfluxExpr term in Conjuncts(and.Right))
            {
                yield return term;
            }
        }
        else
        {
            yield return inner;
        }
    }

    private static InfluxExpr Unwrap(InfluxExpr expression)
    {
        while (expression is ParenExpr paren)
        {
            expression = paren.Inner;
        }

        return expression;
    }

    private static void CollectReferences(InfluxExpr expression, List<VarRef> names)
    {
        switch (expression)
        {
            case VarRef reference:
                names.Add(reference);
                break;
            case ParenExpr paren:
                CollectReferences(paren.Inner, names);
                break;
            case BinaryExpr binary:
                CollectReferences(binary.Left, names);
                CollectReferences(binary.Right, names);
                break;
            case CallExpr call:
                foreach (InfluxExpr argument in call.Arguments)
                {
                    CollectReferences(argument, names);
                }

                break;
        }
    }

    private static (long? From, long? To) TimeBounds(InfluxExpr term, long now)
    {
        if (term is not BinaryExpr compare)
        {
            throw new InfluxStatementException("invalid time condition");
        }

        (BinaryOperator op, InfluxExpr other) = compare switch
        {
            { Left: VarRef { Name: var l } } when l.Equals("time", StringComparison.OrdinalIgnoreCase) => (compare.Operator, compare.Right),
            { Right: VarRef { Name: var r } } when r.Equals("time", StringComparison.OrdinalIgnoreCase) => (Mirror(compare.Operator), compare.Left),
            _ => throw new InfluxStatementException("invalid time condition"),
        };
        long at = Time(other, now);
        return op switch
        {
            BinaryOperator.Greater => (Saturate(at, 1), null),
            BinaryOperator.GreaterOrEqual => (at, null),
            BinaryOperator.Less => (null, at),
            BinaryOperator.LessOrEqual => (null, Saturate(at, 1)),
            BinaryOperator.Equal => (at, Saturate(at, 1)),
            _ => throw new InfluxStatementException("invalid time comparison operator: " + InfluxQlWriter.Symbol(op)),
        };
    }

    private static BinaryOperator Mirror(BinaryOperator op) => op switch
    {
        BinaryOperator.Greater => BinaryOperator.Less,
        BinaryOperator.GreaterOrEqual => BinaryOperator.LessOrEqual,
        BinaryOperator.Less => BinaryOperator.Greater,
        BinaryOperator.LessOrEqual => BinaryOperator.GreaterOrEqual,
        _ => op,
    };

    /// <summary>now(), RFC 3339 strings, integer nanoseconds, durations since the epoch (<c>1700000000000ms</c>), ± durations.</summary>
    private static long Time(InfluxExpr expression, long now)
    {
        try
        {
            return expression switch
            {
                ParenExpr paren => Time(paren.Inner, now),
                NowExpr => now,
                IntegerLiteral integer => integer.Value,
                NumberLiteral number when number.Value is > -9.2e18 and < 9.2e18 => (long)number.Value,
                DurationLiteral duration => duration.Nanoseconds,
                StringLiteral text => Parse(text.Value),
                BinaryExpr { Operator: BinaryOperator.Add } add => checked(Time(add.Left, now) + Offset(add.Right)),
                BinaryExpr { Operator: BinaryOperator.Subtract } subtract => checked(Time(subtract.Left, now) - Offset(subtract.Right)),
                _ => throw new InfluxStatementException("invalid time expression: use now(), an RFC 3339 string, epoch nanoseconds or a duration such as 1700000000000ms"),
            };
        }
        catch (OverflowException)
        {
            throw new InfluxStatementException("time overflows");
        }
    }

    private static long Offset(InfluxExpr expression) => expression switch
    {
        ParenExpr paren => Offset(paren.Inner),
        DurationLiteral duration => duration.Nanoseconds,
        IntegerLiteral integer => integer.Value,
        _ => throw new InfluxStatementException("invalid time expression: add or subtract durations (now() - 1h)"),
    };

    /// <summary>
    /// Through the one RFC 3339 reader (<see cref="Rfc3339"/>); InfluxQL's zoneless forms (<c>2026-12-06 10:00:00</c>,
    /// <c>2026-12-06</c>) are UTC, as in InfluxDB, and are given their <c>Z</c> first.
    /// </summary>
    private static long Parse(string text)
    {
        string normalized = text.Length == 10 ? text + "T00:00:00Z" : text.Replace(' ', 'T');
        if (normalized.Length >= 19 && !normalized.EndsWith('Z') && normalized.IndexOfAny(['+', '-'], 19) < 0)
        {
            normalized += "Z";
        }

        return Rfc3339.TryParseUnixNanoseconds(normalized, out long ns)
            ? ns
            : throw new InfluxStatementException($"invalid time literal '{Truncate(text)}': use RFC 3339 (2026-12-06T10:00:00Z), 1970 to 2262");
    }

    private static string Truncate(string text) => text.Length > 40 ? text[..40] + "…" : text;

    private static long Saturate(long value, long add) => value == long.MaxValue ? value : value + add;
}
