using System.Net;

namespace Datacake.Streams.IntegrationTests.Api.Access;

/// <summary><c>POST /v1/decoders/{id}/test</c> through the real host: fields, a decoder error as 422, reach as 404, the per-caller budget as 429.</summary>
public sealed class DecoderDryRunApiTests(AccessApiHost host) : IClassFixture<AccessApiHost>
{
    private const string Source = """
        function Decoder(bytes, port) {
          if (bytes.length < 2) { throw new Error('frame too short: ' + bytes.length + ' bytes'); }
          return { temperature: ((bytes[0] << 8) | bytes[1]) / 100, port: port, alarm: bytes[0] > 0x10 };
        }
        """;

    private readonly ApiClient _api = host.Api;

    [Fact]
    public async Task A_member_gets_the_decoded_fields_and_a_failing_decoder_answers_422_with_its_error()
    {
        var t = await host.CreateTenantAsync("dryrun");
        var decoder = await CreateDecoderAsync(t);

        var ok = await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Post, $"/v1/decoders/{decoder}/test", t.Token, new { payload = Convert.ToBase64String([0x08, 0x66]), port = 7 });
        var fields = ok.Json.GetProperty("fields");
        Assert.Equal(21.5, fields.GetProperty("temperature").GetDouble());
        Assert.Equal(7.0, fields.GetProperty("port").GetDouble());
        Assert.False(fields.GetProperty("alarm").GetBoolean());

        var failed = await _api.ExpectAsync(HttpStatusCode.UnprocessableEntity, HttpMethod.Post, $"/v1/decoders/{decoder}/test", t.Token, new { payload = Convert.ToBase64String([0x08]), port = 1 });
        Assert.Contains("frame too short: 1 bytes", failed.Json.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Contains("decode-failed", failed.Json.GetProperty("type").GetString(), StringComparison.Ordinal);

        await _api.ExpectAsync(HttpStatusCode.BadRequest, HttpMethod.Post, $"/v1/decoders/{decoder}/test", t.Token, new { payload = "not base64!", port = 1 });
        await _api.ExpectAsync(HttpStatusCode.BadRequest, HttpMethod.Post, $"/v1/decoders/{decoder}/test", t.Token, new { payload = "AAA=", port = 300 });
    }

    [Fact]
    public async Task A_decoder_of_another_workspace_answers_404_like_one_that_does_not_exist()
    {
        var a = await host.CreateTenantAsync("dryrun-a");
        var b = await host.CreateTenantAsync("dryrun-b");
        var decoder = await CreateDecoderAsync(a);
        var body = new { payload = Convert.ToBase64String([0x08, 0x66]), port = 1 };

        var foreign = await _api.ExpectAsync(HttpStatusCode.NotFound, HttpMethod.Post, $"/v1/decoders/{decoder}/test", b.Token, body);
        var missing = await _api.ExpectAsync(HttpStatusCode.NotFound, HttpMethod.Post, "/v1/decoders/dec_doesnotexist/test", b.Token, body);
        Assert.Equal(missing.Json.GetProperty("title").GetString(), foreign.Json.GetProperty("title").GetString());
        Assert.DoesNotContain(a.Workspace, foreign.Body, StringComparison.Ordinal);

        // A guest whose invitation is not accepted is no member yet.
        await _api.ExpectAsync(HttpStatusCode.NotFound, HttpMethod.Post, $"/v1/decoders/{decoder}/test", a.GuestToken, body);
        await _api.ExpectAsync(HttpStatusCode.Forbidden, HttpMethod.Post, $"/v1/decoders/{decoder}/test", host.OperatorToken, body);
        await _api.ExpectAsync(HttpStatusCode.Unauthorized, HttpMethod.Post, $"/v1/decoders/{decoder}/test", null, body);
    }

    [Fact]
    public async Task A_tenant_over_its_dry_run_budget_gets_429_with_retry_after_while_another_tenants_dry_run_answers_200()
    {
        var a = await host.CreateTenantAsync("dryrun-limit-a");
        var b = await host.CreateTenantAsync("dryrun-limit-b");
        var decoderA = await CreateDecoderAsync(a);
        var decoderB = await CreateDecoderAsync(b);
        var body = new { payload = Convert.ToBase64String([0x08, 0x66]), port = 1 };

        // The default budget: 30 dry runs a minute per caller (Decoders:DryRun), all spent by B in a burst. Each one
        // that runs spends a permit, decoded (200) or not (422: a call that meets the decoder budget).
        for (int i = 0; i < 30; i++)
        {
            var spent = await _api.PostAsync($"/v1/decoders/{decoderB}/test", b.Token, body);
            Assert.True(spent.Status is HttpStatusCode.OK or HttpStatusCode.UnprocessableEntity, $"B's dry run {i}: {(int)spent.Status} {spent.Body}");
        }

        var refused = await _api.ExpectAsync(HttpStatusCode.TooManyRequests, HttpMethod.Post, $"/v1/decoders/{decoderB}/test", b.Token, body);
        Assert.Equal("application/problem+json", refused.Message.Content.Headers.ContentType?.MediaType);
        Assert.EndsWith("/rate-limited", refused.Str("type"), StringComparison.Ordinal);
        var retryAfter = Assert.Single(refused.Message.Headers.GetValues("Retry-After"));
        Assert.InRange(int.Parse(retryAfter, System.Globalization.CultureInfo.InvariantCulture), 1, 60);

        // At the same moment A's budget is whole: B's spending is B's alone (per caller, not per address: both come
        // from 127.0.0.1 here).
        var answered = await AnsweredAsync(decoderA, a.Token, body);
        Assert.Equal(21.5, answered.Json.GetProperty("fields").GetProperty("temperature").GetDouble());
        await _api.ExpectAsync(HttpStatusCode.TooManyRequests, HttpMethod.Post, $"/v1/decoders/{decoderB}/test", b.Token, body);

        // A request refused before it would run (a decoder out of reach, a bad body) spends no permit and is not refused by the limit.
        await _api.ExpectAsync(HttpStatusCode.NotFound, HttpMethod.Post, $"/v1/decoders/{decoderA}/test", b.Token, body);
    }

    /// <summary>A's dry run: never refused by the limit; a 422 timeout (a loaded machine) is tried again, up to 5 times of A's 30.</summary>
    private async Task<ApiResponse> AnsweredAsync(string decoder, string token, object body)
    {
        for (int attempt = 1; ; attempt++)
        {
            var response = await _api.PostAsync($"/v1/decoders/{decoder}/test", token, body);
            Assert.NotEqual(HttpStatusCode.TooManyRequests, response.Status);
            if (response.Status == HttpStatusCode.OK || attempt == 5)
            {
                Assert.True(response.Status == HttpStatusCode.OK, $"A's dry run: {(int)response.Status} {response.Body}");
                return response;
            }

            Assert.Contains("timed out", response.Body, StringComparison.Ordinal);
        }
    }

    private async Task<string> CreateDecoderAsync(Tenant t)
    {
        var created = await _api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/workspaces/{t.Workspace}/decoders", t.Token, new { name = "Thermo", source = Source });
        return created.Str("id");
    }
}
