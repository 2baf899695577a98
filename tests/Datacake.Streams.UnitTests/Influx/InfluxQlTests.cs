using Datacake.Streams.Influx.Querying;

namespace Datacake.Streams.UnitTests.Influx;

public sealed class InfluxQlTests
{
    [Theory]
    [InlineData("cpu", "\"cpu\"")]
    [InlineData("my db", "\"my db\"")]
    [InlineData("a\"b", "\"a\\\"b\"")]
    [InlineData("a\\b", "\"a\\\\b\"")]
    [InlineData("x\"; DROP DATABASE prod; --", "\"x\\\"; DROP DATABASE prod; --\"")]
    [InlineData("trailing\\", "\"trailing\\\\\"")]
    [InlineData("température", "\"température\"")]
    public void QuoteIdentifier_escapes_double_quote_and_backslash(string identifier, string expected) =>
        Assert.Equal(expected, InfluxQl.QuoteIdentifier(identifier));

    [Theory]
    [InlineData("dev_01", "'dev_01'")]
    [InlineData("it's", "'it\\'s'")]
    [InlineData("' OR 1=1 --", "'\\' OR 1=1 --'")]
    [InlineData("a\\", "'a\\\\'")]
    [InlineData("a\\' OR ''='", "'a\\\\\\' OR \\'\\'=\\''")]
    [InlineData("line\nbreak", "'line\\nbreak'")]
    public void QuoteString_escapes_single_quote_backslash_and_newline(string value, string expected) =>
        Assert.Equal(expected, InfluxQl.QuoteString(value));

    [Fact]
    public void A_quoted_string_never_ends_before_its_last_character()
    {
        // Whatever the input, the only unescaped quote is the closing one: the literal cannot be broken out of.
        foreach (string attack in new[] { "'", "\\'", "\\\\'", "'; DROP DATABASE x", "\\", "''''" })
        {
            string quoted = InfluxQl.QuoteString(attack);
            int closing = FirstUnescapedQuote(quoted, 1, '\'');
            Assert.Equal(quoted.Length - 1, closing);
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("a\nb")]
    [InlineData("a\tb")]
    [InlineData("a\0")]
    public void Identifiers_that_InfluxQL_cannot_spell_are_refused(string identifier)
    {
        Assert.False(InfluxQl.IsValidIdentifier(identifier));
        Assert.Throws<ArgumentException>(() => InfluxQl.QuoteIdentifier(identifier));
    }

    [Fact]
    public void A_lone_surrogate_is_not_an_identifier() =>
        Assert.False(InfluxQl.IsValidIdentifier(new string(['a', (char)0xD800])));

    [Fact]
    public void Strings_with_other_control_characters_are_refused() =>
        Assert.Throws<ArgumentException>(() => InfluxQl.QuoteString("a\tb"));

    private static int FirstUnescapedQuote(string text, int start, char quote)
    {
        for (int i = start; i < text.Length; i++)
        {
            if (text[i] == '\\')
            {
                i++;
            }
            else if (text[i] == quote)
            {
                return i;
            }
        }

        return -1;
    }
}
