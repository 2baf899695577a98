using System.Net;
using System.Net.Sockets;
using System.Text;
using CsCheck;
using Datacake.Streams.Influx.Client;
using Datacake.Streams.Influx.Querying;
using Datacake.Streams.Influx.LineProtocol;
using Datacake.Streams.Influx.Writing;

namespace Datacake.Streams.IntegrationTests.Influx;

/// <summary>The InfluxDB v1 client against the real influxd 1.6.7.</summary>
public sealed class InfluxClientTests(InfluxFixture influx) : IClassFixture<InfluxFixture>
{
    private const long T0 = 1_700_000_000_123_456_789;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Writes_a_batch_and_queries_back_exact_values_and_ns_timestamps(bool gzip)
    {
        string measurement = gzip ? "exact_gzip" : "exact_plain";
        using InfluxClient client = influx.CreateClient(o => o with { Gzip = gzip });
        using var batch = new InfluxPointBatch();
        for (int i = 0; i < 100; i++)
        {
            var p = batch.BeginPoint();
            p.Measurement(measurement);
            p.Tag("device", $"dev_{i % 2}");
            p.Field("temperature", 20.1 + (i * 0.01));
            p.Field("count", (long)i - 50);
            p.Field("ok", i % 3 == 0);
            p.Field("note", $"n{i}");
            p.Field("tiny", 1e-300 * (i + 1));
            p.Timestamp(T0 + i);
        }

        await client.WriteAsync(batch.Written);

        InfluxQueryResult result = await client.QueryAsync($"SELECT * FROM {InfluxQl.QuoteIdentifier(measurement)} ORDER BY time ASC");
        InfluxSeries series = Assert.Single(Assert.Single(result.Statements).Series);
        Assert.Equal(100, series.Values.Count);
        for (int i = 0; i < 100; i++)
        {
            Assert.Equal(T0 + i, series.GetInt64(i, "time"));
            Assert.Equal($"dev_{i % 2}", series.GetString(i, "device"));
            Assert.Equal(20.1 + (i * 0.01), series.GetDouble(i, "temperature"));
            Assert.Equal(i - 50, series.GetInt64(i, "count"));
            Assert.Equal(i % 3 == 0, series.GetBoolean(i, "ok"));
            Assert.Equal($"n{i}", series.GetString(i, "note"));
            Assert.Equal(1e-300 * (i + 1), series.GetDouble(i, "tiny"));
        }
    }

    [Fact]
    public async Task Special_characters_in_names_and_values_round_trip_through_the_server()
    {
        string[] nasty =
        [
            "with space", "comma,here", "equals=sign", "quote\"d", "single'quote", "a\\b", "température", "城市", "😀",
            " lead", "trail ", "=start", ",start", "mix ,=\"'\\x end",
        ];
        var names = Gen.OneOf("a", " ", ",", "=", "\"", "'", "é", "中", "😀", "\\x", "_").Array[1, 6].Select(string.Concat)
            .Array[40].Single().Concat(nasty).Distinct().ToArray();
        string stringValue = "line1\nline2 \"quoted\" back\\slash, comma=equals 😀";

        using var batch = new InfluxPointBatch();
        for (int i = 0; i < names.Length; i++)
        {
            var p = batch.BeginPoint();
            p.Measurement("rt " + names[i]);
            p.Tag(names[i], names[(i + 1) % names.Length]);
            p.Field(names[(i + 2) % names.Length], (long)i);
            p.Field("s", stringValue);
            p.Timestamp(T0 + i);
        }

        await influx.Client.WriteAsync(batch.Written);

        for (int i = 0; i < names.Length; i++)
        {
            string measurement = "rt " + names[i];
            InfluxQueryResult result = await influx.Client.QueryAsync($"SELECT * FROM {InfluxQl.QuoteIdentifier(measurement)} GROUP BY *");
            InfluxSeries series = Assert.Single(Assert.Single(result.Statements).Series);
            Assert.Equal(measurement, series.Name);
            Assert.Equal(names[(i + 1) % names.Length], Assert.Single(series.Tags, t => t.Key == names[i]).Value);
            Assert.Equal(i, series.GetInt64(0, names[(i + 2) % names.Length]));
            Assert.Equal(stringValue, series.GetString(0, "s"));
            Assert.Equal(T0 + i, series.GetInt64(0, "time"));
        }
    }

    [Fact]
    public async Task A_batch_with_one_type_conflicting_point_names_it_and_the_server_keeps_the_others()
    {
        await influx.Client.WriteAsync("conflict f=1i 1\n"u8.ToArray());

        using var batch = new InfluxPointBatch();
        for (int i = 0; i < 5; i++)
        {
            var p = batch.BeginPoint();
            p.Measurement("conflict");
            p.Tag("device", $"dev_{i}");
            if (i == 2)
            {
                p.Field("f", "not a number");
            }
            else
            {
                p.Field("f", (long)i);
            }

            p.Timestamp(T0 + i);
        }

        InfluxWriteException error = await Assert.ThrowsAsync<InfluxWriteException>(() => influx.Client.WriteAsync(batch.Written));

        Assert.Equal(InfluxErrorKind.BadRequest, error.Kind);
        Assert.True(error.ServerKeptValidPoints);
        Assert.Equal(1, error.RejectedCount);
        RejectedLine rejected = Assert.Single(error.RejectedLines);
        Assert.Equal(2, rejected.Index);
        Assert.Contains("dev_2", rejected.Line, StringComparison.Ordinal);
        Assert.Contains("field type conflict", rejected.Reason, StringComparison.Ordinal);
        Assert.Equal(1, error.Attempts);
        Assert.Equal(1 + 4, await CountAsync("conflict"));
    }

    [Fact]
    public async Task A_malformed_line_is_named_by_index_and_the_good_lines_are_kept()
    {
        byte[] raw = Encoding.UTF8.GetBytes("parse f=1 1\nparse f=2 2\nparse f=,, 3\nparse f=4 4\n");

        InfluxWriteException error = await Assert.ThrowsAsync<InfluxWriteException>(() => influx.Client.WriteAsync(raw));

        Assert.True(error.ServerKeptValidPoints);
        RejectedLine rejected = Assert.Single(error.RejectedLines);
        Assert.Equal(2, rejected.Index);
        Assert.Equal("parse f=,, 3", rejected.Line);
        Assert.Equal(3, await CountAsync("parse"));
    }

    [Fact]
    public async Task A_batch_of_only_malformed_lines_is_refused_whole()
    {
        byte[] raw = Encoding.UTF8.GetBytes("none f= 1\nnone 2\n");

        InfluxWriteException error = await Assert.ThrowsAsync<InfluxWriteException>(() => influx.Client.WriteAsync(raw));

        Assert.False(error.ServerKeptValidPoints);
        Assert.Equal(2, error.RejectedCount);
        Assert.Equal([0, 1], error.RejectedLines.Select(r => r.Index));
        Assert.Equal(0, await CountAsync("none"));
    }

    [Fact]
    public async Task A_failed_statement_in_a_multi_statement_query_raises_with_its_index()
    {
        await influx.Client.WriteAsync("multi f=1 1\n"u8.ToArray());
        string missing = InfluxQl.QuoteIdentifier($"missing_{Guid.NewGuid():N}");

        InfluxQueryException error = await Assert.ThrowsAsync<InfluxQueryException>(() => influx.Client.QueryAsync(
            $"SELECT * FROM multi; SELECT count(f) FROM multi; CREATE RETENTION POLICY rp ON {missing} DURATION 1h REPLICATION 1"));

        Assert.Equal(InfluxErrorKind.StatementFailed, error.Kind);
        Assert.Equal(2, error.StatementIndex);
        Assert.Contains("database not found", error.ServerMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invalid_InfluxQL_is_a_BadRequest_without_statement_index()
    {
        InfluxQueryException error = await Assert.ThrowsAsync<InfluxQueryException>(() => influx.Client.QueryAsync("SELEC nothing"));
        Assert.Equal(InfluxErrorKind.BadRequest, error.Kind);
        Assert.Null(error.StatementIndex);
        Assert.Equal(400, error.StatusCode);
    }

    [Fact]
    public async Task A_wrong_password_is_Unauthorized_and_not_retried()
    {
        using InfluxClient client = influx.CreateClient(o => o with { Password = "wrong-" + Guid.NewGuid(), MaxRetries = 3 });

        InfluxWriteException write = await Assert.ThrowsAsync<InfluxWriteException>(() => client.WriteAsync("auth f=1 1\n"u8.ToArray()));
        InfluxQueryException query = await Assert.ThrowsAsync<InfluxQueryException>(() => client.QueryAsync("SHOW DATABASES"));

        Assert.Equal(InfluxErrorKind.Unauthorized, write.Kind);
        Assert.Equal(401, write.StatusCode);
        Assert.Equal(1, write.Attempts);
        Assert.Equal(InfluxErrorKind.Unauthorized, query.Kind);
        Assert.Equal(1, query.Attempts);
    }

    [Fact]
    public async Task An_unknown_retention_policy_is_NotFound_and_not_retried()
    {
        using InfluxClient client = influx.CreateClient(o => o with { MaxRetries = 3 });

        InfluxWriteException error = await Assert.ThrowsAsync<InfluxWriteException>(() => client.WriteAsync("rp f=1 1\n"u8.ToArray(), retentionPolicy: "no_such_rp"));

        Assert.Equal(InfluxErrorKind.NotFound, error.Kind);
        Assert.Equal(500, error.StatusCode);
        Assert.Equal(1, error.Attempts);
    }

    [Fact]
    public async Task An_unknown_database_is_NotFound()
    {
        using InfluxClient client = influx.CreateClient(o => o with { Database = $"missing_{Guid.NewGuid():N}" });
        InfluxWriteException error = await Assert.ThrowsAsync<InfluxWriteException>(() => client.WriteAsync("db f=1 1\n"u8.ToArray()));
        Assert.Equal(InfluxErrorKind.NotFound, error.Kind);
        Assert.Equal(404, error.StatusCode);
    }

    [Fact]
    public async Task A_body_over_the_server_limit_is_TooLarge_and_not_retried()
    {
        // influxd's default max-body-size is 25 MB; 26 MB of (valid) lines exceeds it.
        byte[] line = "big f=1 1\n"u8.ToArray();
        byte[] body = new byte[26 * 1024 * 1024 / line.Length * line.Length];
        for (int i = 0; i < body.Length; i += line.Length)
        {
            line.CopyTo(body, i);
        }

        // The client-side limit (default: influxd's 25,000,000) refuses it without sending...
        InfluxWriteException local = await Assert.ThrowsAsync<InfluxWriteException>(() => influx.Client.WriteAsync(body));
        Assert.Equal(InfluxErrorKind.TooLarge, local.Kind);
        Assert.Null(local.StatusCode);
        Assert.Equal(0, local.Attempts);

        // ...and with it off, the server's 413 comes back as TooLarge, not as a retried broken pipe.
        using InfluxClient client = influx.CreateClient(o => o with { MaxRetries = 3, MaxBodyBytes = 0 });
        InfluxWriteException error = await Assert.ThrowsAsync<InfluxWriteException>(() => client.WriteAsync(body));

        Assert.Equal(InfluxErrorKind.TooLarge, error.Kind);
        Assert.Equal(413, error.StatusCode);
        Assert.Equal(1, error.Attempts);
        Assert.Equal(0, await CountAsync("big"));
    }

    [Fact]
    public async Task A_closed_port_is_retried_the_configured_times_then_Unavailable()
    {
        int port = ClosedPort();
        using InfluxClient client = influx.CreateClient(o => o with
        {
            Url = new Uri($"http://127.0.0.1:{port}"),
            MaxRetries = 3,
            RetryBaseDelay = TimeSpan.FromMilliseconds(1),
            RetryMaxDelay = TimeSpan.FromMilliseconds(5),
        });

        InfluxWriteException error = await Assert.ThrowsAsync<InfluxWriteException>(() => client.WriteAsync("closed f=1 1\n"u8.ToArray()));

        Assert.Equal(InfluxErrorKind.Unavailable, error.Kind);
        Assert.Equal(4, error.Attempts);
        Assert.Null(error.StatusCode);
        Assert.IsType<HttpRequestException>(error.InnerException);
        InfluxException ping = await Assert.ThrowsAsync<InfluxException>(() => client.PingAsync());
        Assert.Equal(InfluxErrorKind.Unavailable, ping.Kind);
    }

    [Fact]
    public async Task Ping_reports_the_server_version()
    {
        InfluxPing ping = await influx.Client.PingAsync();
        Assert.StartsWith("1.", ping.Version, StringComparison.Ordinal);
        Assert.True(ping.RoundTrip > TimeSpan.Zero);
    }

    [Fact]
    public async Task Retention_policies_and_continuous_queries_are_created_and_checked()
    {
        string db = InfluxQl.QuoteIdentifier(influx.Database);
        await influx.Client.ExecuteAsync($"CREATE RETENTION POLICY \"one_day\" ON {db} DURATION 1d REPLICATION 1 SHARD DURATION 1h");
        await influx.Client.ExecuteAsync($"ALTER RETENTION POLICY \"one_day\" ON {db} DURATION 2d");
        await influx.Client.ExecuteAsync(
            $"CREATE CONTINUOUS QUERY \"cq_mean\" ON {db} BEGIN SELECT mean(f) INTO \"one_day\".\"m_1m\" FROM \"cq_src\" GROUP BY time(1m), * END");

        InfluxQueryResult policies = await influx.Client.QueryAsync($"SHOW RETENTION POLICIES ON {db}");
        InfluxSeries series = Assert.Single(policies.Statements[0].Series);
        int row = Enumerable.Range(0, series.Values.Count).Single(r => series.GetString(r, "name") == "one_day");
        Assert.Equal("48h0m0s", series.GetString(row, "duration"));

        InfluxQueryResult cqs = await influx.Client.QueryAsync("SHOW CONTINUOUS QUERIES");
        Assert.Contains(cqs.Statements[0].Series, s => s.Name == influx.Database && s.Values.Count == 1);

        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000;
        await influx.Client.WriteAsync(Encoding.UTF8.GetBytes($"cq_src f=1 {now}\n"), retentionPolicy: "one_day");
        Assert.Equal(1, Assert.Single((await influx.Client.QueryAsync("SELECT count(f) FROM \"one_day\".\"cq_src\"")).Statements[0].Series).GetInt64(0, "count"));

        // A point older than the policy's duration is dropped by the server: a partial write that kept nothing.
        InfluxWriteException expired = await Assert.ThrowsAsync<InfluxWriteException>(() => influx.Client.WriteAsync("cq_src f=1 1\n"u8.ToArray(), retentionPolicy: "one_day"));
        Assert.False(expired.ServerKeptValidPoints);
        Assert.Equal(1, expired.RejectedCount);

        InfluxQueryException duplicate = await Assert.ThrowsAsync<InfluxQueryException>(() => influx.Client.ExecuteAsync(
            $"CREATE CONTINUOUS QUERY \"cq_mean\" ON {db} BEGIN SELECT max(f) INTO \"m_1m\" FROM \"cq_src\" GROUP BY time(1m) END"));
        Assert.Equal(0, duplicate.StatementIndex);
    }

    [Fact]
    public async Task Quoted_tag_values_cannot_inject_InfluxQL()
    {
        await influx.Client.WriteAsync(Encoding.UTF8.GetBytes($"inject,device=a f=1 1\ninject,device=b f=2 2\ninject,device=it's\\ \"x\" f=3 3\n"));

        string attack = "x' OR device='b";
        InfluxQueryResult none = await influx.Client.QueryAsync($"SELECT f FROM inject WHERE device = {InfluxQl.QuoteString(attack)}");
        Assert.Empty(none.Statements[0].Series);

        InfluxQueryResult exact = await influx.Client.QueryAsync($"SELECT f FROM inject WHERE device = {InfluxQl.QuoteString("it's \"x\"")}");
        Assert.Equal(3, Assert.Single(exact.Statements[0].Series).GetDouble(0, "f"));

        string dropAttempt = "inject\"; DROP DATABASE \"" + influx.Database;
        InfluxQueryResult noSuchMeasurement = await influx.Client.QueryAsync($"SELECT * FROM {InfluxQl.QuoteIdentifier(dropAttempt)}");
        Assert.Empty(noSuchMeasurement.Statements.Single().Series);
        Assert.Equal(3, await CountAsync("inject"));
    }

    [Fact]
    public async Task The_writer_flushes_at_BatchSize_and_on_dispose()
    {
        using InfluxClient client = influx.CreateClient(o => o with { BatchSize = 100 });
        int flushes = 0;
        await using (var writer = new InfluxWriter(client))
        {
            for (int i = 0; i < 250; i++)
            {
                var p = writer.BeginPoint();
                p.Measurement("batched");
                p.Tag("device", "dev_1");
                p.Field("v", (long)i);
                p.Timestamp(T0 + i);
                if (await writer.FlushIfFullAsync())
                {
                    flushes++;
                    Assert.Equal(0, writer.PendingPoints);
                }
            }

            Assert.Equal(2, flushes);
            Assert.Equal(50, writer.PendingPoints);
            Assert.Equal(200, await CountAsync("batched", "v"));
        }

        Assert.Equal(250, await CountAsync("batched", "v"));
    }

    private async Task<long> CountAsync(string measurement, string field = "f")
    {
        InfluxQueryResult result = await influx.Client.QueryAsync($"SELECT count({InfluxQl.QuoteIdentifier(field)}) FROM {InfluxQl.QuoteIdentifier(measurement)}");
        IReadOnlyList<InfluxSeries> series = result.Statements[0].Series;
        return series.Count == 0 ? 0 : series[0].GetInt64(0, "count");
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
