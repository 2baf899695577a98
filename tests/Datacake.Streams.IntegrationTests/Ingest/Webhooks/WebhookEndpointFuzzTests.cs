using System.Net.Http.Headers;
using System.Text;
using CsCheck;
using Datacake.Streams.Access;
using Datacake.Streams.Ingest.Webhooks;

namespace Datacake.Streams.IntegrationTests.Ingest.Webhooks;

/// <summary>
/// Broken bodies through real Kestrel and a real FasterLog: every answer is 2xx or 4xx, records appear exactly for
/// the 202s, and the server still takes a valid message afterwards. (The unit suite runs 10,000 per kind through
/// the parsers and the in-process handler; this is the same over the wire, 10,000 per kind too.)
/// </summary>
public sealed class WebhookEndpointFuzzTests : IAsyncLifetime
{
    private const int BodiesPerKind = 10_000;

    private static readonly string[] _fragments =
    [
        "{", "}", "[", "]", "\"", ",", ":", "null", "-1", "1e999", "4294967296", "\"\\u0000\"", "\\", "{}", "\u00ff", "\"f_cnt\":1,",
    ];

    private WebhookIngestServer _server = null!;

    public async Task InitializeAsync() => _server = await WebhookIngestServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Theory]
    [InlineData(WebhookKind.Tts, "tts-uplink.json", "", "application/json")]
    [InlineData(WebhookKind.ChirpStack, "chirpstack-up.json", "?event=up", "application/json")]
    [InlineData(WebhookKind.Helium, "helium-uplink.json", "", "application/json")]
    [InlineData(WebhookKind.Particle, "particle-event.form", "", "application/x-www-form-urlencoded")]
    [Trait("Reliability", "fuzzing")]
    public async Task Malformed_bodies_get_only_4xx_or_2xx_and_the_server_stays_up(WebhookKind kind, string fixture, string query, string contentType)
    {
        var device = kind == WebhookKind.Particle
            ? await _server.AddDeviceAsync(particleId: "e00fce68a1b2c3d4e5f6a7b8")
            : await _server.AddDeviceAsync(devEui: kind switch
            {
                WebhookKind.Tts => "70B3D57ED005A1B2",
                WebhookKind.ChirpStack => "A84041000181C0DE",
                _ => "6081F9A3B5D7E9F1",
            });
        var token = await _server.AddWebhookAsync("wh_fuzz", kind, [device]);
        var raw = _server.ReadRaw();
        var seed = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Payloads", "Networks", "Fixtures", fixture));
        var bodies = Mutations(seed).Array[BodiesPerKind].Single();

        var statuses = new int[600];
        await Parallel.ForEachAsync(bodies, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (body, _) =>
        {
            using var response = await PostAsync(token, query, contentType, body);
            Interlocked.Increment(ref statuses[(int)response.StatusCode]);
        });

        var summary = string.Join(", ", statuses.Select((n, s) => (n, s)).Where(p => p.n > 0).Select(p => $"{p.s}: {p.n}"));
        Assert.True(_server.Errors.IsEmpty, string.Join("\n", _server.Errors));
        Assert.True(statuses.Select((n, s) => (n, s)).All(p => p.n == 0 || p.s is 202 or 204 or 400 or 404 or 413), summary);
        Assert.True(statuses[400] > BodiesPerKind / 2, summary);

        // Exactly one record per 202, then the valid fixture still goes through.
        for (var i = 0; i < statuses[202]; i++)
        {
            Assert.NotNull(raw.Next(TimeSpan.FromSeconds(10)));
        }

        raw.AssertNothingMore();
        using var valid = await PostAsync(token, query, contentType, seed);
        Assert.Equal(202, (int)valid.StatusCode);
        Assert.Equal(device, raw.Next(TimeSpan.FromSeconds(10))?.Record.DeviceId);
    }

    private async Task<HttpResponseMessage> PostAsync(AccessToken token, string query, string contentType, byte[] body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/webhooks/wh_fuzz" + query) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        request.Headers.Add(WebhookIngestHandler.TokenHeader, token.Secret);
        return await _server.Http.SendAsync(request);
    }

    private static Gen<byte[]> Mutations(byte[] seed) => Gen.OneOf(
        Gen.Int[0, seed.Length - 1].Select(i => seed[..i]),
        Gen.Select(Gen.Int[0, seed.Length - 1], Gen.Byte).Select((i, b) =>
        {
            var copy = (byte[])seed.Clone();
            copy[i] = b;
            return copy;
        }),
        Gen.Select(Gen.Int[0, seed.Length], Gen.Int[0, _fragments.Length - 1]).Select((i, f) =>
            seed[..i].Concat(Encoding.UTF8.GetBytes(_fragments[f])).Concat(seed[i..]).ToArray()),
        Gen.Byte.Array[0, 300]);
}
