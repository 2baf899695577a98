namespace Datacake.Streams.Api.InfluxApi.Language;

public enum InfluxQlTokenKind
{
    End,
    Keyword,
    Identifier,
    String,
    Number,
    Integer,
    Duration,
    Equal,
    NotEqual,
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
    RegexMatch,
    RegexNotMatch,
    Plus,
    Minus,
    Star,
    Slash,
    Percent,
    LeftParen,
    RightParen,
    Comma,
    Semicolon,
    Dot,
    DoubleColon,
}

/// <summary>
/// One token: <see cref="Text"/> is the keyword upper-cased, the identifier or string unquoted and unescaped, or the
/// literal's own spelling. <see cref="Position"/> is the offset of its first character in the query.
/// </summary>
public readonly record struct InfluxQlToken(InfluxQlTokenKind Kind, string Text, int Position)
{
    public bool Is(string keyword) => Kind == InfluxQlTokenKind.Keyword && Text == keyword;

    /// <summary>How InfluxDB names a token in "found X" of a parse error.</summary>
    public string Describe() => Kind switch
    {
        InfluxQlTokenKind.End => "EOF",
        InfluxQlTokenKind.String => "'" + Text + "'",
        _ => Text,
    };
}
