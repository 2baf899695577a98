using System.Globalization;

namespace Datacake.Streams.Api.InfluxApi.Language;

public sealed partial class InfluxQlParser
{
    /// <summary>Nesting beyond this is refused: a query of 100,000 "(" must not exhaust the stack.</summary>
    private const int MaxDepth = 64;

    private int _depth;

    private InfluxExpr Expression() => Binary(1);

    // Precedence as InfluxQL's: OR 1, AND 2, comparisons 4, + - 5, * / % 6.
    private static (BinaryOperator Operator, int Precedence)? Operator(InfluxQlToken token) => token.Kind switch
    {
        InfluxQlTokenKind.Keyword when token.Text == "OR" => (BinaryOperator.Or, 1),
        InfluxQlTokenKind.Keyword when token.Text == "AND" => (BinaryOperator.And, 2),
        InfluxQlTokenKind.Equal => (BinaryOperator.Equal, 4),
        InfluxQlTokenKind.NotEqual => (BinaryOperator.NotEqual, 4),
        InfluxQlTokenKind.Less => (BinaryOperator.Less, 4),
        InfluxQlTokenKind.LessOrEqual => (BinaryOperator.LessOrEqual, 4),
        InfluxQlTokenKind.Greater => (BinaryOperator.Greater, 4),
        InfluxQlTokenKind.GreaterOrEqual => (BinaryOperator.GreaterOrEqual, 4),
        InfluxQlTokenKind.RegexMatch => (BinaryOperator.RegexMatch, 4),
        InfluxQlTokenKind.RegexNotMatch => (BinaryOperator.RegexNotMatch, 4),
        InfluxQlTokenKind.Plus => (BinaryOperator.Add, 5),
        InfluxQlTokenKind.Minus => (BinaryOperator.Subtract, 5),
        InfluxQlTokenKind.Star => (BinaryOperator.Multiply, 6),
        InfluxQlTokenKind.Slash => (BinaryOperator.Divide, 6),
        InfluxQlTokenKind.Percent => (BinaryOperator.Modulo, 6),
        _ => null,
    };

    private InfluxExpr Binary(int minimum)
    {
        InfluxExpr left = Unary();
        while (Operator(Peek()) is { } op && op.Precedence >= minimum)
        {
            Next();
            InfluxExpr right = op.Operator is BinaryOperator.RegexMatch or BinaryOperator.RegexNotMatch
                ? new RegexLiteral(Regex())
                : Binary(op.Precedence + 1);
            left = new BinaryExpr(op.Operator, left, right);
        }

        return left;
    }

    private InfluxExpr Unary()
    {
        if (Peek().Kind == InfluxQlTokenKind.Minus)
        {
            InfluxQlToken minus = Next();
            return Primary() switch
            {
                IntegerLiteral i => new IntegerLiteral(-i.Value),
                NumberLiteral n => new NumberLiteral(-n.Value),
                DurationLiteral d => new DurationLiteral(-d.Nanoseconds),
                _ => throw Error(minus, "a number after -"),
            };
        }

        return Primary();
    }

    private InfluxExpr Primary()
    {
        InfluxQlToken token = Next();
        switch (token.Kind)
        {
            case InfluxQlTokenKind.LeftParen:
                if (++_depth > MaxDepth)
                {
                    throw new InfluxQlParseException("expression nested too deeply", _lexer.Query, token.Position);
                }

                InfluxExpr inner = Expression();
                Expect(InfluxQlTokenKind.RightParen, ")");
                _depth--;
                return new ParenExpr(inner);
            case InfluxQlTokenKind.String:
                return new StringLiteral(token.Text);
            case InfluxQlTokenKind.Integer:
                return long.TryParse(token.Text, NumberStyles.None, CultureInfo.InvariantCulture, out long integer)
                    ? new IntegerLiteral(integer)
                    : new NumberLiteral(NumberValue(token));
            case InfluxQlTokenKind.Number:
                return new NumberLiteral(NumberValue(token));
            case InfluxQlTokenKind.Duration:
                return new DurationLiteral(Nanoseconds(token));
            case InfluxQlTokenKind.Star:
                return new WildcardExpr(OptionalCast());
            case InfluxQlTokenKind.Keyword when token.Text is "TRUE" or "FALSE":
                return new BooleanLiteral(token.Text == "TRUE");
            case InfluxQlTokenKind.Keyword when token.Text == "DISTINCT":
                // DISTINCT x and DISTINCT(x) are both distinct(x) to InfluxDB.
                if (Peek().Kind == InfluxQlTokenKind.LeftParen)
                {
                    return Call("distinct", token);
                }

                return new CallExpr("distinct", [new VarRef(Identifier(), null)]);
            case InfluxQlTokenKind.Identifier when _lexer.Query[token.Position] != '"' && Peek().Kind == InfluxQlTokenKind.LeftParen:
                return Call(token.Text.ToLowerInvariant(), token);
            case InfluxQlTokenKind.Identifier:
                return new VarRef(token.Text, OptionalCast());
            default:
                throw Error(token, "identifier, string, number, bool");
        }
    }

    private InfluxExpr Call(string name, InfluxQlToken at)
    {
        Expect(InfluxQlTokenKind.LeftParen, "(");
        if (++_depth > MaxDepth)
        {
            throw new InfluxQlParseException("expression nested too deeply", _lexer.Query, at.Position);
        }

        var arguments = new List<InfluxExpr>();
        if (Peek().Kind != InfluxQlTokenKind.RightParen)
        {
            arguments.Add(Expression());
            while (Peek().Kind == InfluxQlTokenKind.Comma)
            {
                Next();
                arguments.Add(Expression());
            }
        }

        Expect(InfluxQlTokenKind.RightParen, ")");
        _depth--;
        if (name == "now")
        {
            return arguments.Count == 0 ? new NowExpr() : throw new InfluxQlParseException("now() takes no arguments", _lexer.Query, at.Position);
        }

        return new CallExpr(name, arguments);
    }

    private string? OptionalCast()
    {
        if (Peek().Kind != InfluxQlTokenKind.DoubleColon)
        {
            return null;
        }

        Next();
        InfluxQlToken type = Next();
        string cast = type.Text.ToLowerInvariant();
        return cast is "field" or "tag" or "float" or "integer" or "unsigned" or "string" or "boolean"
            ? cast
            : throw Error(type, "field, tag, float, integer, unsigned, string, boolean");
    }
}
