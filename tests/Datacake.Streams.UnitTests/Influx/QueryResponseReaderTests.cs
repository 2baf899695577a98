using System.Text;
using Datacake.Streams.Influx.Client;
using Datacake.Streams.Influx.Querying;

namespace Datacake.Streams.UnitTests.Influx;

public sealed class QueryResponseReaderTests
{
    [Fact]
    public void Reads_series_tags_columns_and_typed_values()
    {
        const string json = """
            {"results":[{"statement_id":0,"series":[{"name":"m","tags":{"device":"dev_1"},"columns":["time","f","s","b","n"],
            "values":[[1700000000000000001,21.5,"x",true,null],[1700000000000000002,1,"y",false,3]]}]},{"statement_id":1}]}
            """;

        InfluxQueryResult result = QueryResponseReader.Read(Encoding.UTF8.GetBytes(json), "q", attempts: 1);

        Assert.Equal(2, result.Statements.Count);
        Assert.Empty(result.Statements[1].Series);
        InfluxSeries series = Assert.Single(result.Statements[0].Series);
        Assert.Equal("m", series.Name);
        Assert.Equal("dev_1", series.Tags["device"]);
        Assert.Equal(["time", "f", "s", "b", "n"], series.Columns);
        Assert.Equal(1700000000000000001, series.GetInt64(0, "time"));
        Assert.Equal(21.5, series.GetDouble(0, "f"));
        Assert.Equal(1.0, series.GetDouble(1, "f"));
        Assert.Equal("y", series.GetString(1, "s"));
        Assert.True(series.GetBoolean(0, "b"));
        Assert.True(series.IsNull(0, "n"));
        Assert.Equal(3, series.GetInt64(1, "n"));
        Assert.Throws<KeyNotFoundException>(() => series.Value(0, "missing"));
    }

    [Fact]
    public void A_failed_statement_after_good_ones_raises_with_its_index()
    {
        const string json = """
            {"results":[{"statement_id":0,"series":[{"name":"m","columns":["time","f"],"values":[[1,1]]}]},{"statement_id":1},{"statement_id":2,"error":"database not found: nodb"}]}
            """;

        InfluxQueryException error = Assert.Throws<InfluxQueryException>(() => QueryResponseReader.Read(Encoding.UTF8.GetBytes(json), "q", attempts: 1));
        Assert.Equal(2, error.StatementIndex);
        Assert.Equal(InfluxErrorKind.StatementFailed, error.Kind);
        Assert.Equal("database not found: nodb", error.ServerMessage);
        Assert.Contains("statement 2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_top_level_error_raises_without_a_statement_index()
    {
        InfluxQueryException error = Assert.Throws<InfluxQueryException>(() => QueryResponseReader.Read("{\"error\":\"boom\"}"u8.ToArray(), "q", attempts: 1));
        Assert.Null(error.StatementIndex);
        Assert.Equal("boom", error.ServerMessage);
    }

    [Fact]
    public void Invalid_json_is_a_typed_error() =>
        Assert.Equal(InfluxErrorKind.ServerError, Assert.Throws<InfluxQueryException>(() => QueryResponseReader.Read("<html>"u8.ToArray(), "q", attempts: 1)).Kind);
}
