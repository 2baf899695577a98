using Datacake.Streams.Api.InfluxApi.Language;

namespace Datacake.Streams.UnitTests.Api.InfluxApi;

/// <summary>The InfluxQL parser on what Grafana's InfluxDB datasource and the influx CLI send, and on what it refuses.</summary>
public sealed class InfluxQlParserTests
{
    /// <summary>As Grafana's datasource writes them (influxql_query_builder.ts, influx_query_model.ts), with the time filter already interpolated.</summary>
    public static TheoryData<string, Type> GrafanaQueries => new()
    {
        { "SHOW RETENTION POLICIES on \"datacake\"", typeof(ShowRetentionPoliciesStatement) },
        { "SHOW MEASUREMENTS LIMIT 100", typeof(ShowMeasurementsStatement) },
        { "SHOW MEASUREMENTS WITH MEASUREMENT =~ /(?i)meas/ LIMIT 100", typeof(ShowMeasurementsStatement) },
        { "SHOW FIELD KEYS FROM \"measurements\"", typeof(ShowFieldKeysStatement) },
        { "SHOW FIELD KEYS FROM \"raw\".\"measurements\"", typeof(ShowFieldKeysStatement) },
        { "SHOW TAG KEYS", typeof(ShowTagKeysStatement) },
        { "SHOW TAG KEYS FROM \"measurements\"", typeof(ShowTagKeysStatement) },
        { "SHOW TAG VALUES FROM \"measurements\" WITH KEY = \"device\"", typeof(ShowTagValuesStatement) },
        { "SHOW TAG VALUES WITH KEY = \"device\" WHERE \"workspace_id\" = 'ws_1'", typeof(ShowTagValuesStatement) },
        { "SHOW TAG VALUES FROM \"measurements\" WITH KEY IN (\"device\", \"device_id\") WHERE \"device\" =~ /^boil/", typeof(ShowTagValuesStatement) },
        { "SHOW DATABASES", typeof(ShowDatabasesStatement) },
        { "SELECT mean(\"temperature\") FROM \"measurements\" WHERE (\"device\" =~ /^boiler$/) AND time >= now() - 6h and time <= now() GROUP BY time(1m) fill(null)", typeof(SelectStatement) },
        { "SELECT mean(\"temperature\") FROM \"measurements\" WHERE (\"device\"::tag = 'boiler') AND time >= 1700000000000ms and time <= 1700003600000ms GROUP BY time(10s), \"device\"::tag fill(none)", typeof(SelectStatement) },
        { "SELECT last(\"temperature\") AS \"t\", max(\"humidity\") * 2 - 1 FROM \"raw\".\"measurements\" WHERE time > now() - 1h GROUP BY * ORDER BY time DESC LIMIT 10 SLIMIT 5", typeof(SelectStatement) },
        { "SELECT percentile(\"temperature\", 95), stddev(\"temperature\"), spread(\"temperature\"), mode(\"temperature\"), median(\"temperature\"), count(\"temperature\"), distinct(\"temperature\") FROM \"measurements\" WHERE time >= '2026-12-06T10:00:00Z' AND time < '2026-12-06T11:00:00Z' GROUP BY time(5m, 1m) fill(previous)", typeof(SelectStatement) },
        { "SELECT non_negative_derivative(mean(\"counter\"), 1s) FROM \"measurements\" WHERE $__unused = 1 OR time > 0", typeof(SelectStatement) },
        { "SELECT * FROM \"measurements\" LIMIT 5 OFFSET 2", typeof(SelectStatement) },
    };

    [Theory]
    [MemberData(nameof(GrafanaQueries))]
    public void Grafana_and_cli_queries_parse(string query, Type expected)
    {
        if (query.Contains("$__", StringComparison.Ordinal))
        {
            // An uninterpolated variable is not InfluxQL: InfluxDB refuses it too.
            Assert.Throws<InfluxQlParseException>(() => InfluxQlParser.Parse(query));
            return;
        }

        InfluxStatement statement = Assert.Single(InfluxQlParser.Parse(query));
        Assert.IsType(expected, statement);
    }

    [Fact]
    public void The_builder_panel_becomes_this_tree()
    {
        var select = Assert.IsType<SelectStatement>(Assert.Single(InfluxQlParser.Parse(
            "SELECT mean(\"temperature\") FROM \"measurements\" WHERE (\"device\" =~ /^boiler$/) AND time >= now() - 6h GROUP BY time(1m) fill(null)")));
        var call = Assert.IsType<CallExpr>(Assert.Single(select.Fields).Expression);
        Assert.Equal("mean", call.Name);
        Assert.Equal(new VarRef("temperature", null), Assert.Single(call.Arguments));
        Assert.Equal(new MeasurementSource(null, null, "measurements", null), Assert.Single(select.Sources));
        var and = Assert.IsType<BinaryExpr>(select.Where);
        Assert.Equal(BinaryOperator.And, and.Operator);
        Assert.Equal(new ParenExpr(new BinaryExpr(BinaryOperator.RegexMatch, new VarRef("device", null), new RegexLiteral("^boiler$"))), and.Left);
        Assert.Equal(new BinaryExpr(BinaryOperator.GreaterOrEqual, new VarRef("time", null), new BinaryExpr(BinaryOperator.Subtract, new NowExpr(), new DurationLiteral(6 * 3_600_000_000_000L))), and.Right);
        Assert.Equal(new TimeDimension(60_000_000_000L, 0), Assert.Single(select.GroupBy));
        Assert.Equal(new FillOption(FillKind.Null, 0), select.Fill);
    }

    [Fact]
    public void Several_statements_and_precedence()
    {
        IReadOnlyList<InfluxStatement> statements = InfluxQlParser.Parse("SHOW DATABASES; SELECT a + b * 2 FROM \"measurements\" WHERE \"device\" = 'x' OR \"device\" = 'y' AND \"device_id\" != 'z';");
        Assert.Equal(2, statements.Count);
        var select = Assert.IsType<SelectStatement>(statements[1]);
        Assert.Equal(new BinaryExpr(BinaryOperator.Add, new VarRef("a", null), new BinaryExpr(BinaryOperator.Multiply, new VarRef("b", null), new IntegerLiteral(2))), select.Fields[0].Expression);
        var or = Assert.IsType<BinaryExpr>(select.Where);
        Assert.Equal(BinaryOperator.Or, or.Operator);
        Assert.Equal(BinaryOperator.And, Assert.IsType<BinaryExpr>(or.Right).Operator);
    }

    [Theory]
    [InlineData("DROP DATABASE \"datacake\"", "DROP")]
    [InlineData("DROP MEASUREMENT \"measurements\"", "DROP")]
    [InlineData("CREATE DATABASE x", "CREATE")]
    [InlineData("ALTER RETENTION POLICY raw ON datacake DURATION 1h", "ALTER")]
    [InlineData("DELETE FROM \"measurements\" WHERE time < now()", "DELETE")]
    [InlineData("GRANT ALL TO bob", "GRANT")]
    [InlineData("REVOKE ALL FROM bob", "REVOKE")]
    [InlineData("KILL QUERY 1", "KILL")]
    [InlineData("INSERT measurements,device=x value=1", "INSERT")]
    [InlineData("SET PASSWORD FOR bob = 'x'", "SET")]
    [InlineData("EXPLAIN SELECT * FROM \"measurements\"", "EXPLAIN")]
    [InlineData("SHOW USERS", "SHOW USERS")]
    [InlineData("SHOW GRANTS FOR bob", "SHOW GRANTS")]
    [InlineData("SHOW SERIES", "SHOW SERIES")]
    [InlineData("SHOW QUERIES", "SHOW QUERIES")]
    [InlineData("SHOW CONTINUOUS QUERIES", "SHOW CONTINUOUS")]
    [InlineData("SHOW SHARDS", "SHOW SHARDS")]
    [InlineData("SHOW STATS", "SHOW STATS")]
    [InlineData("SHOW DIAGNOSTICS", "SHOW DIAGNOSTICS")]
    [InlineData("SHOW SUBSCRIPTIONS", "SHOW SUBSCRIPTIONS")]
    [InlineData("SHOW MEASUREMENT CARDINALITY", "SHOW MEASUREMENT")]
    [InlineData("SELECT * INTO \"other\" FROM \"measurements\"", "SELECT INTO")]
    [InlineData("SELECT mean(x) FROM (SELECT * FROM \"dev_0000000000000000000000000a\")", "a subquery")]
    public void Statements_that_never_run_are_refused(string query, string what)
    {
        var refused = Assert.IsType<RefusedStatement>(Assert.Single(InfluxQlParser.Parse(query)));
        Assert.StartsWith(what + " is not allowed", refused.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("SELEC foo", "found SELEC, expected SELECT, DELETE, SHOW, CREATE, DROP, EXPLAIN, GRANT, REVOKE, ALTER, SET, KILL at line 1, char 1")]
    [InlineData("SHOW DATABASES; SELEC", "found SELEC, expected SELECT, DELETE, SHOW, CREATE, DROP, EXPLAIN, GRANT, REVOKE, ALTER, SET, KILL at line 1, char 17")]
    [InlineData("SELECT * FROM measurements", "found MEASUREMENTS, expected identifier at line 1, char 15")]
    [InlineData("SELECT a FROM \"m\" WHERE \"device\" = 'x", "expected closing ' at line 1, char 36")]
    [InlineData("SELECT a FROM \"m\" WHERE \"device\" =~ /[/", "invalid regex")]
    [InlineData("SELECT a FROM \"m\" GROUP BY time(0s)", "time dimension must have positive duration")]
    [InlineData("", "found EOF")]
    public void Errors_read_as_influxd_writes_them(string query, string expected)
    {
        var error = Assert.Throws<InfluxQlParseException>(() => InfluxQlParser.Parse(query));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Quotes_and_escapes_are_read_as_influxd_reads_them()
    {
        var select = Assert.IsType<SelectStatement>(Assert.Single(InfluxQlParser.Parse("SELECT \"a\\\"b\" FROM \"measurements\" WHERE \"device\" = 'it\\'s; DROP' AND \"device\" =~ /a\\/b/")));
        Assert.Equal(new VarRef("a\"b", null), select.Fields[0].Expression);
        var and = Assert.IsType<BinaryExpr>(select.Where);
        Assert.Equal(new StringLiteral("it's; DROP"), Assert.IsType<BinaryExpr>(and.Left).Right);
        Assert.Equal(new RegexLiteral("a/b"), Assert.IsType<BinaryExpr>(and.Right).Right);
    }

    [Theory]
    [MemberData(nameof(GrafanaQueries))]
    public void Written_back_a_select_parses_to_the_same_text(string query, Type expected)
    {
        if (expected != typeof(SelectStatement) || query.Contains("$__", StringComparison.Ordinal))
        {
            return;
        }

        string once = InfluxQlWriter.Statement((SelectStatement)Assert.Single(InfluxQlParser.Parse(query)));
        string twice = InfluxQlWriter.Statement((SelectStatement)Assert.Single(InfluxQlParser.Parse(once)));
        Assert.Equal(once, twice);
    }
}
