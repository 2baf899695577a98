using System.Net;
using System.Text;
using Datacake.Streams.Influx.Client;
using Microsoft.Extensions.Time.Testing;

namespace Datacake.Streams.UnitTests.Influx;

/// <summary>Retry policy of <see cref="InfluxClient"/> over a scripted HTTP handler and fake time.</summary>
public sealed class InfluxClientRetryTests
{
    private static readonly InfluxOptions s_options = new()
    {
        Url = new Uri("http://influx.test:8086"),
        Database = "db",
        User = "u",
        Password = "p",
        MaxRetries = 3,
        RetryBaseDelay = TimeSpan.FromSeconds(1),
        RetryMaxDelay = TimeSpan.FromSeconds(4),
    };

    [Fact]
    public async Task Retries_5xx_with_backoff_until_success()
    {
        var handler = new ScriptedHandler(
            Answer(HttpStatusCode.InternalServerError, "timeout"),
            Answer(HttpStatusCode.ServiceUnavailable, string.Empty),
            Answer(HttpStatusCode.NoContent, string.Empty));
        var time = new FakeTimeProvider();
        using var client = new InfluxClient(new HttpClient(handler), s_options, time);

        Task write = client.WriteAsync("m f=1 1\n"u8.ToArray());
        await DriveAsync(write, time, handler);

        Assert.Equal(3, handler.Requests.Count);
        Assert.All(handler.Requests, r => Assert.Equal("m f=1 1\n", r.Body));
        Assert.All(handler.Requests, r => Assert.Equal("http://influx.test:8086/write?db=db&precision=ns", r.Url));
        Assert.All(handler.Requests, r => Assert.Equal("Basic " + Convert.ToBase64String("u:p"u8), r.Authorization));
    }

    [Fact]
    public async Task Gives_up_after_MaxRetries_with_ServerError()
    {
        var handler = new ScriptedHandler(Enumerable.Repeat(Answer(HttpStatusCode.InternalServerError, "engine: cache full"), 10).ToArray());
        var time = new FakeTimeProvider();
        using var client = new InfluxClient(new HttpClient(handler), s_options, time);

        Task write = client.WriteAsync("m f=1 1\n"u8.ToArray());
        await DriveAsync(write, time, handler);

        InfluxWriteException error = await Assert.ThrowsAsync<InfluxWriteException>(() => write);
        Assert.Equal(InfluxErrorKind.ServerError, error.Kind);
        Assert.Equal(4, error.Attempts);
        Assert.Equal(4, handler.Requests.Count);
    }

    [Theory]
    [InlineData(HttpStatusCode.BadRequest, "unable to parse 'x': invalid field format", InfluxErrorKind.BadRequest)]
    [InlineData(HttpStatusCode.Unauthorized, "authorization failed", InfluxErrorKind.Unauthorized)]
    [InlineData(HttpStatusCode.NotFound, "database not found: \"db\"", InfluxErrorKind.NotFound)]
    [InlineData(HttpStatusCode.RequestEntityTooLarge, "Request Entity Too Large", InfluxErrorKind.TooLarge)]
    [InlineData(HttpStatusCode.InternalServerError, "retention policy not found: rp", InfluxErrorKind.NotFound)]
    public async Task Does_not_retry_client_and_configuration_errors(HttpStatusCode status, string message, InfluxErrorKind kind)
    {
        var handler = new ScriptedHandler(Answer(status, message), Answer(HttpStatusCode.NoContent, string.Empty));
        using var client = new InfluxClient(new HttpClient(handler), s_options, new FakeTimeProvider());

        InfluxWriteException error = await Assert.ThrowsAsync<InfluxWriteException>(() => client.WriteAsync("x\n"u8.ToArray()));

        Assert.Equal(kind, error.Kind);
        Assert.Equal(1, error.Attempts);
        Assert.Single(handler.Requests);
        Assert.Equal(message, error.ServerMessage);
    }

    [Fact]
    public async Task Retries_network_errors_then_reports_Unavailable()
    {
        var handler = new ScriptedHandler(Enumerable.Repeat<Func<HttpResponseMessage>>(() => throw new HttpRequestException("Connection refused"), 10).ToArray());
        var time = new FakeTimeProvider();
        using var client = new InfluxClient(new HttpClient(handler), s_options, time);

        Task write = client.WriteAsync("m f=1 1\n"u8.ToArray());
        await DriveAsync(write, time, handler);

        InfluxWriteException error = await Assert.ThrowsAsync<InfluxWriteException>(() => write);
        Assert.Equal(InfluxErrorKind.Unavailable, error.Kind);
        Assert.Equal(4, error.Attempts);
        Assert.IsType<HttpRequestException>(error.InnerException);
    }

    [Fact]
    public async Task Does_not_retry_before_the_backoff_has_elapsed()
    {
        var handler = new ScriptedHandler(Answer(HttpStatusCode.ServiceUnavailable, string.Empty), Answer(HttpStatusCode.NoContent, string.Empty));
        var time = new FakeTimeProvider();
        using var client = new InfluxClient(new HttpClient(handler), s_options, time);

        Task write = client.WriteAsync("m f=1 1\n"u8.ToArray());
        await WaitUntilAsync(() => handler.Requests.Count == 1);

        // The first backoff is 1 s scaled into [0.5 s, 1 s]: just under half a second nothing may happen.
        time.Advance(TimeSpan.FromMilliseconds(499));
        await Task.Yield();
        Assert.Single(handler.Requests);
        Assert.False(write.IsCompleted);

        time.Advance(TimeSpan.FromMilliseconds(501));
        await WaitUntilAsync(() => write.IsCompleted);
        Assert.Equal(2, handler.Requests.Count);
        await write;
    }

    [Fact]
    public async Task Gzip_option_sends_a_gzip_body_with_its_header()
    {
        var handler = new ScriptedHandler(Answer(HttpStatusCode.NoContent, string.Empty));
        using var client = new InfluxClient(new HttpClient(handler), s_options with { Gzip = true, RetentionPolicy = "raw" }, new FakeTimeProvider());

        string lines = string.Concat(Enumerable.Range(0, 200).Select(i => $"m,device=dev_1 f={i} {i}\n"));
        await client.WriteAsync(Encoding.UTF8.GetBytes(lines));

        ScriptedHandler.Request request = Assert.Single(handler.Requests);
        Assert.Equal("gzip", request.ContentEncoding);
        Assert.Equal(lines, request.Body);
        Assert.True(request.WireLength < lines.Length / 3, $"gzip body {request.WireLength} B for {lines.Length} B of lines");
        Assert.EndsWith("&rp=raw", request.Url, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1, 1000, 500, 1000)]
    [InlineData(2, 1000, 1000, 2000)]
    [InlineData(3, 1000, 2000, 4000)]
    [InlineData(10, 1000, 2000, 4000)]
    public void Backoff_doubles_is_capped_and_jittered_in_the_upper_half(int retry, int baseMs, int lowMs, int highMs)
    {
        TimeSpan low = RetryBackoff.Delay(retry, TimeSpan.FromMilliseconds(baseMs), TimeSpan.FromSeconds(4), 0.0);
        TimeSpan high = RetryBackoff.Delay(retry, TimeSpan.FromMilliseconds(baseMs), TimeSpan.FromSeconds(4), 1.0);
        Assert.Equal(lowMs, low.TotalMilliseconds, 3);
        Assert.Equal(highMs, high.TotalMilliseconds, 3);
    }

    [Fact]
    public void Options_are_validated()
    {
        var validator = new InfluxOptionsValidator();
        Assert.True(validator.Validate(null, new InfluxOptions()).Succeeded);
        Assert.Equal(5_000, new InfluxOptions().BatchSize);
        var bad = new InfluxOptions
        {
            Url = new Uri("ftp://x"),
            Database = " ",
            User = "u",
            BatchSize = 0,
            MaxRetries = -1,
            RequestTimeout = TimeSpan.Zero,
            RetentionPolicy = string.Empty,
        };
        Microsoft.Extensions.Options.ValidateOptionsResult result = validator.Validate(null, bad);
        Assert.True(result.Failed);
        Assert.Equal(7, result.Failures!.Count());
    }

    private static Func<HttpResponseMessage> Answer(HttpStatusCode status, string error) => () =>
        new HttpResponseMessage(status)
        {
            Content = new StringContent(error.Length == 0 ? string.Empty : $"{{\"error\":{System.Text.Json.JsonSerializer.Serialize(error)}}}"),
        };

    /// <summary>Advances fake time until the task completes; each step is far beyond the largest backoff.</summary>
    private static async Task DriveAsync(Task task, FakeTimeProvider time, ScriptedHandler handler)
    {
        DateTime deadline = DateTime.UtcNow.AddSeconds(10);
        while (!task.IsCompleted)
        {
            Assert.True(DateTime.UtcNow < deadline, $"not done after 10 s; {handler.Requests.Count} request(s) made");
            time.Advance(TimeSpan.FromSeconds(5));
            await Task.Delay(1);
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        DateTime deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met within 10 s");
            await Task.Delay(1);
        }
    }

    private sealed class ScriptedHandler(params Func<HttpResponseMessage>[] answers) : HttpMessageHandler
    {
        private int _next;

        public List<Request> Requests { get; } = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            byte[] wire = request.Content is null ? [] : await request.Content.ReadAsByteArrayAsync(cancellationToken);
            string? encoding = request.Content?.Headers.ContentEncoding.FirstOrDefault();
            byte[] body = wire;
            if (encoding == "gzip")
            {
                using var gzip = new System.IO.Compression.GZipStream(new MemoryStream(wire), System.IO.Compression.CompressionMode.Decompress);
                using var plain = new MemoryStream();
                await gzip.CopyToAsync(plain, cancellationToken);
                body = plain.ToArray();
            }

            lock (Requests)
            {
                Requests.Add(new Request(request.RequestUri!.ToString(), Encoding.UTF8.GetString(body), wire.Length, encoding, request.Headers.Authorization?.ToString()));
            }

            return answers[Math.Min(_next++, answers.Length - 1)]();
        }

        public sealed record Request(string Url, string Body, int WireLength, string? ContentEncoding, string? Authorization);
    }
}
