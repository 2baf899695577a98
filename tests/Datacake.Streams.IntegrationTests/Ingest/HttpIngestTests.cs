using System.Net.Http.Headers;
using System.Net;
using System.Text.Json;
using System.Text;
using CsCheck;
using Datacake.Streams.Access;
using Datacake.Streams.IntegrationTests.Core.RecordLog;
using Datacake.Streams.IntegrationTests.Log.Faster;
using Datacake.Streams.IntegrationTests.Log.Kafka;
using Datacake.Streams.Payloads.JsonValues;
using Datacake.Streams.Problems;
using Datacake.Streams.Records;
using Datacake.Streams.TestSupport.Reliability;

namespace Datacake.Streams.IntegrationTests.Ingest;

/// <summary>HTTP device ingest through real Kestrel into a real FasterLog: what is stored, and that every refusal stores nothing.</summary>
public sealed class HttpIngestTests : IAsyncLifetime
{
    private readonly TempLogDirectory _directory = new();
    private IngestTestHost _host = null!;

    public async Task InitializeAsync() => _host = await IngestTestHost.StartAsync(_directory.Path);

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        _directory.Dispose();
    }

    [Fact]
    [Trait("Reliability", "token-hygiene")]
    public async Task An_accepted_body_is_one_anonymous_raw_record_with_the_idempotency_key()
    {
        const string body = """[{"time":"2026-11-28T10:00:00Z","values":{"temperature":21.5,"on":true}}]""";
        using var response = await PostAsync(_host.DeviceToken.Secret, _host.Device.ToString(), body, idempotencyKey: "key-0001");
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal("""{"entries":1}""", await response.Content.ReadAsStringAsync());

        var (record, bytes) = Assert.Single(_host.ReadRaw());
        Assert.Equal(_host.Device, record.DeviceId);
        Assert.Equal(SourceKind.Http, record.Source);
        Assert.Equal(PayloadKind.JsonValues, record.PayloadKind);
        Assert.Equal("key-0001", record.MessageId);
        Assert.Equal(body, Encoding.UTF8.GetString(record.Payload.Span));
        Assert.Equal(_host.DeviceToken.Hash, record.Credential);
        Assert.Equal(CredentialKind.Token, record.CredentialKind);
        Assert.Equal(DateTimeOffset.Parse("2026-11-28T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture).ToUnixTimeMilliseconds() * 1_000_000, record.DeviceTimeUnixNs);
        Assert.InRange(record.ReceivedAt, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddSeconds(1));
        AssertAnonymous(bytes, _host.DeviceToken);
    }

    [Fact]
    public async Task A_workspace_editor_token_writes_any_device_of_its_workspace()
    {
        var editor = _host.AddToken(g => new TokenGrant { TokenId = g.TokenId, Hash = g.Hash, WorkspaceId = g.WorkspaceId, Role = WorkspaceRole.Editor });
        using var response = await PostAsync(editor.Secret, _host.OtherDevice.ToString(), """{"t":1}""");
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var (record, bytes) = Assert.Single(_host.ReadRaw());
        Assert.Equal(_host.OtherDevice, record.DeviceId);
        Assert.Null(record.MessageId);
        Assert.Null(record.DeviceTimeUnixNs);
        AssertAnonymous(bytes, editor);
    }

    public static TheoryData<string, HttpStatusCode, string> Refusals => new()
    {
        { "no-token", HttpStatusCode.Unauthorized, ProblemTypes.TokenMissing },
        { "basic-auth", HttpStatusCode.Unauthorized, ProblemTypes.TokenMissing },
        { "bad-checksum", HttpStatusCode.Unauthorized, ProblemTypes.TokenMalformed },
        { "unknown-token", HttpStatusCode.Unauthorized, ProblemTypes.TokenRefused },
        { "revoked-token", HttpStatusCode.Unauthorized, ProblemTypes.TokenRefused },
        { "disabled-token", HttpStatusCode.Unauthorized, ProblemTypes.TokenRefused },
        { "expired-token", HttpStatusCode.Unauthorized, ProblemTypes.TokenRefused },
        { "read-only-device", HttpStatusCode.Forbidden, ProblemTypes.Forbidden },
        { "device-out-of-scope", HttpStatusCode.NotFound, ProblemTypes.DeviceNotFound },
        { "unknown-device", HttpStatusCode.NotFound, ProblemTypes.DeviceNotFound },
        { "deleted-device", HttpStatusCode.NotFound, ProblemTypes.DeviceNotFound },
        { "not-a-device-id", HttpStatusCode.NotFound, ProblemTypes.DeviceNotFound },
        { "invalid-json", HttpStatusCode.BadRequest, ProblemTypes.InvalidBody },
        { "bad-idempotency-key", HttpStatusCode.BadRequest, ProblemTypes.InvalidIdempotencyKey },
        { "too-large", HttpStatusCode.RequestEntityTooLarge, ProblemTypes.BodyTooLarge },
        { "too-large-chunked", HttpStatusCode.RequestEntityTooLarge, ProblemTypes.BodyTooLarge },
        { "text-plain", HttpStatusCode.UnsupportedMediaType, ProblemTypes.UnsupportedMediaType },
        { "log-unavailable", HttpStatusCode.ServiceUnavailable, ProblemTypes.LogUnavailable },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    [Trait("Reliability", "oversized-and-deep-json")]
    public async Task Every_refusal_is_a_problem_and_stores_nothing(string reason, HttpStatusCode status, string type)
    {
        var token = _host.DeviceToken.Secret;
        var device = _host.Device.ToString();
        HttpContent content = new StringContent("""{"t":1}""", Encoding.UTF8, "application/json");
        string? key = null;
        AuthenticationHeaderValue? authorization = null;
        switch (reason)
        {
            case "no-token": token = null; break;
            case "basic-auth": token = null; authorization = new AuthenticationHeaderValue("Basic", "dXNlcjpwYXNz"); break;
            case "bad-checksum": token = token[..^1] + (token[^1] == 'a' ? 'b' : 'a'); break;
            case "unknown-token": token = AccessToken.New().Secret; break;
            case "revoked-token": token = _host.AddToken(g => Scoped(g, revokedAt: DateTimeOffset.UtcNow.AddSeconds(-1))).Secret; break;
            case "disabled-token": token = _host.AddToken(g => Scoped(g, disabledAt: DateTimeOffset.UtcNow.AddSeconds(-1))).Secret; break;
            case "expired-token": token = _host.AddToken(g => Scoped(g, expiresAt: DateTimeOffset.UtcNow.AddSeconds(-1))).Secret; break;
            case "read-only-device": device = _host.ReadOnlyDevice.ToString(); break;
            case "device-out-of-scope": device = _host.OtherDevice.ToString(); break;
            case "unknown-device": device = Datacake.Streams.Ids.DeviceId.New().ToString(); break;
            case "deleted-device": device = _host.DeletedDevice.ToString(); break;
            case "not-a-device-id": device = "kitchen-sensor"; break;
            case "invalid-json": content = new StringContent("""{"t":[1,"x"]}""", Encoding.UTF8, "application/json"); break;
            case "bad-idempotency-key": key = new string('k', 201); break;
            case "too-large": content = new StringContent("{\"s\":\"" + new string('x', 1024 * 1024) + "\"}", Encoding.UTF8, "application/json"); break;
            case "too-large-chunked": content = new ChunkedJson(1024 * 1024 + 10, new MediaTypeHeaderValue("application/json")); break;
            case "text-plain": content = new StringContent("""{"t":1}""", Encoding.UTF8, "text/plain"); break;
            case "log-unavailable": _host.Log.Unavailable = true; break;
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/devices/{device}/measurements") { Content = content };
        request.Headers.Authorization = authorization ?? (token is null ? null : new AuthenticationHeaderValue("Bearer", token));
        if (key is not null)
        {
            request.Headers.TryAddWithoutValidation("Idempotency-Key", key);
        }

        using var response = await _host.Http.SendAsync(request);
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(type, problem.RootElement.GetProperty("type").GetString());
        Assert.Equal((int)status, problem.RootElement.GetProperty("status").GetInt32());
        if (reason == "invalid-json")
        {
            Assert.Equal("$.t[1]", problem.RootElement.GetProperty("path").GetString());
        }

        if (status is HttpStatusCode.ServiceUnavailable)
        {
            Assert.True(response.Headers.RetryAfter?.Delta > TimeSpan.Zero);
        }

        _host.Log.Unavailable = false;
        Assert.Empty(_host.ReadRaw());
    }

    [Fact]
    [Trait("Reliability", "brute-force")]
    public async Task Repeated_bad_tokens_for_a_device_get_429_with_retry_after_but_its_good_token_still_passes()
    {
        // The default budget: 10 failures per (address, device) at once.
        for (var i = 0; i < 10; i++)
        {
            using var refused = await PostAsync(AccessToken.New().Secret, _host.Device.ToString(), """{"t":1}""");
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }

        using (var limited = await PostAsync(AccessToken.New().Secret, _host.Device.ToString(), """{"t":1}"""))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
            Assert.True(limited.Headers.RetryAfter?.Delta > TimeSpan.Zero);
            Assert.Contains(ProblemTypes.TooManyFailedAuthentications, await limited.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        // A valid token is never refused for failures (the address may be a NAT carrying other tenants).
        using var response = await PostAsync(_host.DeviceToken.Secret, _host.Device.ToString(), """{"t":1}""");
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Single(_host.ReadRaw());
    }

    [Fact]
    [Trait("Reliability", "fuzzing")]
    public async Task Ten_thousand_malformed_bodies_get_only_4xx_and_the_endpoint_stays_up()
    {
        var valid = """[{"time":1764324000000,"values":{"t":21.5,"on":true,"env":{"h":40},"a":[1,2]}}]"""u8.ToArray();
        var mutated = Gen.Int[0, valid.Length - 1].Select(Gen.Byte, Gen.Int[0, 3]).Select((position, value, kind) =>
        {
            var bytes = valid.ToList();
            switch (kind)
            {
                case 0: bytes[position] = value; break;
                case 1: bytes.RemoveRange(position, bytes.Count - position); break;
                case 2: bytes.Insert(position, value); break;
                default: bytes.RemoveAt(position); break;
            }

            return bytes.ToArray();
        });
        var bodies = Gen.Frequency((4, mutated), (1, Gen.Byte.Array[0, 200])).Array[10_000].Single();

        var accepted = 0;
        foreach (var body in bodies)
        {
            using var content = new ByteArrayContent(body);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            using var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/devices/{_host.Device}/measurements") { Content = content };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _host.DeviceToken.Secret);
            using var response = await _host.Http.SendAsync(request);
            var status = (int)response.StatusCode;

            // A mutation can still be valid JSON of the right shape: then 202 is right; everything else is a 400.
            if (MeasurementBody.Check(body).IsValid)
            {
                Assert.Equal(202, status);
                accepted++;
            }
            else
            {
                Assert.True(status == 400, $"{status} for {Convert.ToBase64String(body)}");
            }
        }

        using var after = await PostAsync(_host.DeviceToken.Secret, _host.Device.ToString(), """{"t":1}""");
        Assert.Equal(HttpStatusCode.Accepted, after.StatusCode);
        Assert.Equal(accepted + 1, _host.ReadRaw().Count);
    }

    [Fact]
    [Trait("Reliability", "oversized-and-deep-json")]
    public async Task Json_nested_ten_thousand_levels_deep_gets_a_4xx_and_the_endpoint_stays_up()
    {
        const int levels = 10_000;
        string[] bodies =
        [
            new string('[', levels) + new string(']', levels),
            "{\"t\":" + string.Concat(Enumerable.Repeat("{\"a\":", levels)) + "1" + new string('}', levels) + "}",
            "[{\"values\":{\"t\":" + new string('[', levels) + new string(']', levels) + "}}]",
        ];
        var before = _host.ReadRaw().Count;
        foreach (var body in bodies)
        {
            using var response = await PostAsync(_host.DeviceToken.Secret, _host.Device.ToString(), body);
            Assert.True((int)response.StatusCode is >= 400 and < 500, $"{(int)response.StatusCode} for a body {body.Length} characters long");
        }

        using var after = await PostAsync(_host.DeviceToken.Secret, _host.Device.ToString(), """{"t":1}""");
        Assert.Equal(HttpStatusCode.Accepted, after.StatusCode);
        Assert.Equal(before + 1, _host.ReadRaw().Count);
        ReliabilityRecorder.Record("oversized-and-deep-json", new ReliabilityNumbers { Sent = bodies.Length + 1, Acknowledged = 1, Stored = 1, Note = "3 bodies 10,000 levels deep refused" });
    }

    private Task<HttpResponseMessage> PostAsync(string? token, string device, string body, string? idempotencyKey = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/devices/{device}/measurements")
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        return _host.Http.SendAsync(request);
    }

    private TokenGrant Scoped(TokenGrant g, DateTimeOffset? revokedAt = null, DateTimeOffset? disabledAt = null, DateTimeOffset? expiresAt = null) => new()
    {
        TokenId = g.TokenId,
        Hash = g.Hash,
        WorkspaceId = g.WorkspaceId,
        Devices = [new DeviceGrant(_host.Device, DeviceAccess.ReadWrite)],
        RevokedAt = revokedAt,
        DisabledAt = disabledAt,
        ExpiresAt = expiresAt,
    };

    internal static void AssertAnonymous(byte[] recordBytes, AccessToken token)
    {
        var text = Encoding.UTF8.GetString(recordBytes);
        Assert.DoesNotContain(IngestTestHost.WorkspaceId, text, StringComparison.Ordinal);
        Assert.DoesNotContain(token.Secret, text, StringComparison.Ordinal);
        Assert.DoesNotContain(token.Secret[4..20], text, StringComparison.Ordinal);
        Assert.DoesNotContain("tok_", text, StringComparison.Ordinal);
    }

    /// <summary>A JSON body with no Content-Length (chunked), so the limit is found while reading.</summary>
    private sealed class ChunkedJson(int length) : HttpContent
    {
        public ChunkedJson(int length, MediaTypeHeaderValue type)
            : this(length) => Headers.ContentType = type;

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            await stream.WriteAsync("{\"s\":\""u8.ToArray());
            var chunk = Encoding.ASCII.GetBytes(new string('x', 8192));
            for (var written = 0; written < length; written += chunk.Length)
            {
                await stream.WriteAsync(chunk);
            }

            await stream.WriteAsync("\"}"u8.ToArray());
        }

        protected override bool TryComputeLength(out long length)
        {
            length = -1;
            return false;
        }
    }
}
