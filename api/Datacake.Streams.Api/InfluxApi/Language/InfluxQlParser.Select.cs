using System.Globalization;

namespace Datacake.Streams.Api.InfluxApi.Language;

public sealed partial class InfluxQlParser
{
    private InfluxStatement Select()
    {
        var fields = new List<SelectField> { Field() };
        while (Peek().Kind == InfluxQlTokenKind.Comma)
        {
            Next();
            fields.Add(Field());
        }

        if (Peek().Is("INTO"))
        {
            return Refuse("SELECT INTO");
        }

        Expect("FROM");
        if (Peek().Kind == InfluxQlTokenKind.LeftParen)
        {
            return Refuse("a subquery");
        }

        List<MeasurementSource> sources = Sources();
        InfluxExpr? where = OptionalWhere();
        var groupBy = new List<Dimension>();
        if (Peek().Is("GROUP"))
        {
            Next();
            Expect("BY");
            groupBy.Add(Dimension());
            while (Peek().Kind == InfluxQlTokenKind.Comma)
            {
                Next();
                groupBy.Add(Dimension());
            }
        }

        FillOption? fill = null;
        if (Peek() is { Kind: InfluxQlTokenKind.Identifier } f && IsBare(f, "fill"))
        {
            Next();
            fill = Fill();
        }

        bool descending = false;
        if (Peek().Is("ORDER"))
        {
            Next();
            Expect("BY");
            InfluxQlToken time = Next();
            if (time.Kind != InfluxQlTokenKind.Identifier || !time.Text.Equals("time", StringComparison.OrdinalIgnoreCase))
            {
                throw new InfluxQlParseException("only ORDER BY time supported at this time", _lexer.Query, time.Position);
            }

            if (Peek().Is("DESC"))
            {
                Next();
                descending = true;
            }
            else if (Peek().Is("ASC"))
            {
                Next();
            }
        }

        (int limit, int offset) = LimitOffset();
        int seriesLimit = 0;
        int seriesOffset = 0;
        if (Peek().Is("SLIMIT"))
        {
            Next();
            seriesLimit = Count();
        }

        if (Peek().Is("SOFFSET"))
        {
            Next();
            seriesOffset = Count();
        }

        string? timezone = null;
        if (Peek() is { Kind: InfluxQlTokenKind.Identifier } tz && IsBare(tz, "tz"))
        {
            Next();
            Expect(InfluxQlTokenKind.LeftParen, "(");
            InfluxQlToken zone = Next();
            timezone = zone.Kind == InfluxQlTokenKind.String ? zone.Text : throw Error(zone, "string");
            Expect(InfluxQlTokenKind.RightParen, ")");
        }

        return new SelectStatement(fields, sources, where, groupBy, fill, descending, limit, offset, seriesLimit, seriesOffset, timezone);
    }

    private SelectField Field()
    {
        InfluxExpr expression = Expression();
        string? alias = null;
        if (Peek().Is("AS"))
        {
            Next();
            alias = Identifier();
        }

        return new SelectField(expression, alias);
    }

    private Dimension Dimension()
    {
        InfluxQlToken token = Peek();
        if (token.Kind == InfluxQlTokenKind.Star)
        {
            Next();
            return new WildcardDimension();
        }

        if (token.Kind == InfluxQlTokenKind.Identifier && IsBare(token, "time"))
        {
            Next();
            Expect(InfluxQlTokenKind.LeftParen, "(");
            long interval = DurationArgument();
            long offset = 0;
            if (Peek().Kind == InfluxQlTokenKind.Comma)
            {
                Next();
                bool negative = false;
                if (Peek().Kind == InfluxQlTokenKind.Minus)
                {
                    Next();
                    negative = true;
                }

                offset = negative ? -DurationArgument() : DurationArgument();
            }

            Expect(InfluxQlTokenKind.RightParen, ")");
            if (interval <= 0)
            {
                throw new InfluxQlParseException("time dimension must have positive duration", _lexer.Query, token.Position);
            }

            return new TimeDimension(interval, offset);
        }

        var dimension = new TagDimension(Identifier());

        // Grafana writes "key"::tag; the cast says nothing more here (GROUP BY names tags only).
        OptionalCast();
        return dimension;
    }

    private long DurationArgument()
    {
        InfluxQlToken token = Next();
        return token.Kind == InfluxQlTokenKind.Duration ? Nanoseconds(token) : throw Error(token, "duration");
    }

    private FillOption Fill()
    {
        Expect(InfluxQlTokenKind.LeftParen, "(");
        InfluxQlToken token = Next();
        bool negative = false;
        if (token.Kind == InfluxQlTokenKind.Minus)
        {
            negative = true;
            token = Next();
        }

        FillOption fill = token switch
        {
            { Kind: InfluxQlTokenKind.Identifier } when !negative && IsBare(token, "null") => new FillOption(FillKind.Null, 0),
            { Kind: InfluxQlTokenKind.Identifier } when !negative && IsBare(token, "none") => new FillOption(FillKind.None, 0),
            { Kind: InfluxQlTokenKind.Identifier } when !negative && IsBare(token, "previous") => new FillOption(FillKind.Previous, 0),
            { Kind: InfluxQlTokenKind.Identifier } when !negative && IsBare(token, "linear") => new FillOption(FillKind.Linear, 0),
            { Kind: InfluxQlTokenKind.Integer or InfluxQlTokenKind.Number } => new FillOption(FillKind.Number, (negative ? -1 : 1) * NumberValue(token)),
            _ => throw Error(token, "null, none, previous, linear or a number"),
        };
        Expect(InfluxQlTokenKind.RightParen, ")");
        return fill;
    }

    /// <summary>Bare (unquoted) spelling of a word that is no keyword in InfluxQL but acts as one here (fill, time, tz, now).</summary>
    private bool IsBare(InfluxQlToken token, string word) =>
        token.Kind == InfluxQlTokenKind.Identifier && token.Text.Equals(word, StringComparison.OrdinalIgnoreCase) && _lexer.Query[token.Position] != '"';

    private double NumberValue(InfluxQlToken token) =>
        double.TryParse(token.Text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double value) && double.IsFinite(value)
            ? value
            : throw new InfluxQlParseException($"unable to parse number {token.Text}", _lexer.Query, token.Position);

    private long Nanoseconds(InfluxQlToken token)
    {
        string text = token.Text;
        long total = 0;
        int i = 0;
        try
        {
            while (i < text.Length)
            {
                int start = i;
                while (i < text.Length && char.IsAsciiDigit(text[i]))
                {
                    i++;
                }

                long number = long.Parse(text.AsSpan(start, i - start), NumberStyles.None, CultureInfo.InvariantCulture);
                int unitStart = i;
                while (i < text.Length && !char.IsAsciiDigit(text[i]))
                {
                    i++;
                }

                long unit = text[unitStart..i] switch
                {
                    "ns" => 1,
                    "u" or "µ" => 1_000,
                    "ms" => 1_000_000,
                    "s" => 1_000_000_000,
                    "m" => 60_000_000_000,
                    "h" => 3_600_000_000_000,
                    "d" => 86_400_000_000_000,
                    _ => 604_800_000_000_000,
                };
                total = checked(total + checked(number * unit));
            }
        }
        catch (OverflowException)
        {
            throw new InfluxQlParseException($"overflowed duration {text}: choose a smaller duration or INF", _lexer.Query, token.Position);
        }

        return total;
    }
}
