using System.Text;
using Datacake.Streams.Influx.Client;

namespace Datacake.Streams.UnitTests.Influx;

/// <summary>Error bodies as influxd 1.6.7 sent them (recorded with curl against the real server).</summary>
public sealed class WriteErrorAnalysisTests
{
    [Fact]
    public void Names_unparsable_lines_of_a_partial_write_and_says_the_rest_was_kept()
    {
        byte[] batch = Encoding.UTF8.GetBytes("m f=2i 2\nm f=2i,, 3\nm,t=a f=3i 4\nbad line\n");
        InfluxWriteException error = WriteErrorAnalysis.FromResponse(
            400,
            "partial write: unable to parse 'm f=2i,, 3': invalid field format\nunable to parse 'bad line': invalid field format dropped=0",
            batch,
            attempts: 1);

        Assert.Equal(InfluxErrorKind.BadRequest, error.Kind);
        Assert.True(error.ServerKeptValidPoints);
        Assert.Equal(2, error.RejectedCount);
        Assert.Equal([1, 3], error.RejectedLines.Select(r => r.Index));
        Assert.Equal("m f=2i,, 3", error.RejectedLines[0].Line);
        Assert.Equal("invalid field format", error.RejectedLines[0].Reason);
        Assert.Equal("bad line", error.RejectedLines[1].Line);
        Assert.Equal("invalid field format", error.RejectedLines[1].Reason);
        Assert.Contains("refused indexes: 1, 3", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_the_partial_write_prefix_the_server_kept_none()
    {
        byte[] batch = Encoding.UTF8.GetBytes("bad line\nm f=\n");
        InfluxWriteException error = WriteErrorAnalysis.FromResponse(
            400,
            "unable to parse 'bad line': invalid field format\nunable to parse 'm f=': missing field value",
            batch,
            attempts: 1);

        Assert.False(error.ServerKeptValidPoints);
        Assert.Equal(2, error.RejectedCount);
        Assert.Equal([0, 1], error.RejectedLines.Select(r => r.Index));
        Assert.Equal("missing field value", error.RejectedLines[1].Reason);
    }

    [Fact]
    public void Names_every_point_dropped_by_a_field_type_conflict()
    {
        byte[] batch = Encoding.UTF8.GetBytes("m f=2i 2\nm f=\"x\" 3\nm,t=a f=3i 4\nm g=1.5,f=true 5\nother f=\"s\" 6\n");
        InfluxWriteException error = WriteErrorAnalysis.FromResponse(
            400,
            "partial write: field type conflict: input field \"f\" on measurement \"m\" is type string, already exists as type integer dropped=2",
            batch,
            attempts: 1);

        Assert.True(error.ServerKeptValidPoints);
        Assert.Equal(2, error.RejectedCount);
        Assert.Equal([1, 3], error.RejectedLines.Select(r => r.Index));
        Assert.Contains("field type conflict", error.RejectedLines[0].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Matches_escaped_measurements_and_field_keys_of_a_conflict()
    {
        byte[] batch = Encoding.UTF8.GetBytes("a\\ b,t=1 x\\,y=1i 1\na\\ b x\\,y=\"s\" 2\n");
        InfluxWriteException error = WriteErrorAnalysis.FromResponse(
            400,
            "partial write: field type conflict: input field \"x,y\" on measurement \"a b\" is type string, already exists as type integer dropped=1",
            batch,
            attempts: 1);

        Assert.Equal([1], error.RejectedLines.Select(r => r.Index));
    }

    [Fact]
    public void A_string_value_with_a_newline_stays_one_line_when_indexing()
    {
        byte[] batch = Encoding.UTF8.GetBytes("m s=\"a\nb\" 1\nm f=2i,, 3\n");
        InfluxWriteException error = WriteErrorAnalysis.FromResponse(
            400,
            "partial write: unable to parse 'm f=2i,, 3': invalid field format dropped=0",
            batch,
            attempts: 1);

        Assert.Equal([1], error.RejectedLines.Select(r => r.Index));
        Assert.Equal(1, error.RejectedCount);
    }

    [Fact]
    public void Names_points_with_an_invalid_tag_key()
    {
        byte[] batch = Encoding.UTF8.GetBytes("m f=1 11\nm,time=x f=1 12\n");
        InfluxWriteException error = WriteErrorAnalysis.FromResponse(
            400,
            "partial write: invalid tag key: input tag \"time\" on measurement \"m\" is invalid dropped=1",
            batch,
            attempts: 1);

        Assert.Equal([1], error.RejectedLines.Select(r => r.Index));
        Assert.True(error.ServerKeptValidPoints);
    }

    [Theory]
    [InlineData(401, "authorization failed", InfluxErrorKind.Unauthorized)]
    [InlineData(403, "user is not authorized to write to database", InfluxErrorKind.Forbidden)]
    [InlineData(404, "database not found: \"nodb\"", InfluxErrorKind.NotFound)]
    [InlineData(500, "retention policy not found: nope", InfluxErrorKind.NotFound)]
    [InlineData(413, "Request Entity Too Large", InfluxErrorKind.TooLarge)]
    [InlineData(500, "timeout", InfluxErrorKind.ServerError)]
    [InlineData(503, "", InfluxErrorKind.Unavailable)]
    public void Classifies_whole_request_failures(int status, string message, InfluxErrorKind kind)
    {
        InfluxWriteException error = WriteErrorAnalysis.FromResponse(status, message, "m f=1 1\n"u8, attempts: 2);
        Assert.Equal(kind, error.Kind);
        Assert.Equal(status, error.StatusCode);
        Assert.Equal(message, error.ServerMessage);
        Assert.Equal(2, error.Attempts);
        Assert.Empty(error.RejectedLines);
        Assert.False(error.ServerKeptValidPoints);
    }
}
