using System.Net;

namespace Datacake.Streams.IntegrationTests.Api.Access;

/// <summary><c>POST /v1/decoders/{id}/test</c> through the real host: fields, a decoder error as 422, reach as 404.</summary>
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

    private async Task<string> CreateDecoderAsync(Tenant t)
    {
        var created = await _api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/workspaces/{t.Workspace}/decoders", t.Token, new { name = "Thermo", source = Source });
        return created.Str("id");
    }
}
