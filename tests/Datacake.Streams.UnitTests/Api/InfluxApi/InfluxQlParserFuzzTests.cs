using CsCheck;
using Datacake.Streams.Api.InfluxApi.Language;

namespace Datacake.Streams.UnitTests.Api.InfluxApi;

/// <summary>
/// The parser under 100k+ generated inputs: token soup around InfluxQL's words and punctuation, and mutations of
/// Grafana's real queries. Only <see cref="InfluxQlParseException"/> escapes; what parses is one of the closed set of
/// statements, a statement starting with a word that changes data is always refused, and every SELECT written back
/// parses to the same text (the tree is all that is used).
/// </summary>
public sealed class InfluxQlParserFuzzTests
{
    private static readonly string[] _words =
    [
        "SELECT", "SHOW", "DROP", "CREATE", "DELETE", "ALTER", "GRANT", "REVOKE", "KILL", "INSERT", "INTO", "FROM", "WHERE", "GROUP", "BY",
        "ORDER", "LIMIT", "OFFSET", "SLIMIT", "SOFFSET", "AND", "OR", "AS", "ON", "WITH", "KEY", "IN", "MEASUREMENT", "MEASUREMENTS",
        "TAG", "FIELD", "KEYS", "VALUES", "DATABASES", "RETENTION", "POLICIES", "USERS", "DESC", "ASC", "time", "now()", "fill",
        "null", "none", "previous", "linear", "mean", "max", "percentile", "tz", "\"measurements\"", "\"device\"", "\"device_id\"",
        "'boiler'", "'it\\'s'", "/^b.*$/", "/.*/", "1h", "1700000000000ms", "10", "2.5", "-", "+", "*", "/", "%", "=", "!=", "<>",
        "=~", "!~", "<", "<=", ">", ">=", "(", ")", ",", ";", ".", "::", "::tag", "::field", "\"", "'", "\\", "\n", "--", "$x", "µ",
        "\"a\\\"b\"", "DISTINCT", "TRUE", "FALSE", "'2026-12-06T10:00:00Z'",
    ];

    private static readonly string[] _seeds =
    [
        "SELECT mean(\"temperature\") FROM \"measurements\" WHERE (\"device\" =~ /^boiler$/) AND time >= now() - 6h GROUP BY time(1m) fill(null)",
        "SHOW TAG VALUES FROM \"measurements\" WITH KEY = \"device\" WHERE \"workspace_id\" = 'ws_1'",
        "SHOW MEASUREMENTS WITH MEASUREMENT =~ /(?i)meas/ LIMIT 100",
        "SELECT last(\"t\") AS \"x\", max(\"h\") * 2 FROM \"raw\".\"measurements\" WHERE time > 1700000000000ms GROUP BY * ORDER BY time DESC LIMIT 10",
        "SHOW RETENTION POLICIES on \"datacake\"; SHOW FIELD KEYS FROM \"measurements\"",
    ];

    private static readonly HashSet<string> _changes = new(StringComparer.OrdinalIgnoreCase) { "DROP", "CREATE", "DELETE", "ALTER", "GRANT", "REVOKE", "KILL", "INSERT", "SET" };

    private static readonly Gen<string> _soup = Gen.Int[0, _words.Length - 1].Array[0, 24]
        .Select(indexes => string.Join(' ', indexes.Select(i => _words[i])));

    private static readonly Gen<string> _mutation = Gen.Select(Gen.Int[0, _seeds.Length - 1], Gen.Int[0, 200], Gen.Int[0, 12], Gen.Char, Gen.Int[0, 2])
        .Select((seed, at, length, c, kind) =>
        {
            string text = _seeds[seed];
            int start = Math.Min(at, text.Length);
            int end = Math.Min(text.Length, start + length);
            return kind switch
            {
                0 => text[..start] + text[end..],
                1 => text[..start] + c + text[start..],
                _ => text[..start] + new string(c, length) + text[end..],
            };
        });

    private static readonly Gen<string> _raw = Gen.Char.Array[0, 40].Select(chars => new string(chars));

    [Fact]
    [Trait("Reliability", "fuzzing")]
    public void Only_parse_errors_escape_and_only_the_grammar_runs()
    {
        Gen.Frequency((4, _soup), (4, _mutation), (1, _raw)).Sample(Check, iter: 120_000, threads: 1);
    }

    private static void Check(string query)
    {
        IReadOnlyList<InfluxStatement> statements;
        try
        {
            statements = InfluxQlParser.Parse(query);
        }
        catch (InfluxQlParseException)
        {
            return;
        }

        Assert.NotEmpty(statements);
        string first = query.TrimStart().Split([' ', '\n', '\t', ';', '(', '"'], 2)[0];
        if (_changes.Contains(first))
        {
            Assert.IsType<RefusedStatement>(statements[0]);
        }

        foreach (InfluxStatement statement in statements)
        {
            Assert.True(
                statement is ShowDatabasesStatement or ShowRetentionPoliciesStatement or ShowMeasurementsStatement or ShowFieldKeysStatement
                    or ShowTagKeysStatement or ShowTagValuesStatement or SelectStatement or RefusedStatement,
                statement.GetType().Name);
            if (statement is SelectStatement select)
            {
                string written;
                try
                {
                    written = InfluxQlWriter.Statement(select);
                }
                catch (ArgumentException)
                {
                    // A name with a control character: nothing can be sent for it (the runner answers a statement error).
                    continue;
                }

                InfluxStatement again = Assert.Single(InfluxQlParser.Parse(written));
                Assert.Equal(written, InfluxQlWriter.Statement(Assert.IsType<SelectStatement>(again)));
            }
        }
    }
}
