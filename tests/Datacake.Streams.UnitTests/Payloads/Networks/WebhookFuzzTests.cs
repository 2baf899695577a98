using System.Text.Json;
using System.Text.Unicode;
using CsCheck;
using Datacake.Streams.Access;
using Datacake.Streams.Payloads.ChirpStack;
using Datacake.Streams.Payloads.Envelopes;
using Datacake.Streams.Payloads.Helium;
using Datacake.Streams.Payloads.Networks;
using Datacake.Streams.Payloads.Particle;
using Datacake.Streams.Payloads.TheThingsStack;
using Datacake.Streams.UnitTests.Ingest.Webhooks;

namespace Datacake.Streams.UnitTests.Payloads.Networks;

/// <summary>
/// 10,000 malformed bodies per webhook kind: the parsers never throw and never accept a message without its keys,
/// the allow-list rebuilds what they accept, and the whole handler answers only 4xx or 2xx, appending only for 202.
/// </summary>
public class WebhookFuzzTests
{
    private const int Iterations = 10_000;

    public static TheoryData<WebhookKind, string, string> Kinds => new()
    {
        { WebhookKind.Tts, "tts-uplink.json", "" },
        { WebhookKind.ChirpStack, "chirpstack-up.json", "up" },
        { WebhookKind.Helium, "helium-uplink.json", "" },
        { WebhookKind.Particle, "particle-event.json", "" },
        { WebhookKind.Particle, "particle-event.form", "form" },
    };

    [Theory]
    [MemberData(nameof(Kinds))]
    [Trait("Reliability", "fuzzing")]
    public void Parsers_never_throw_and_accept_only_complete_messages(WebhookKind kind, string fixture, string variant)
    {
        var malformed = 0;
        MalformedBodies.From(Fixture.Bytes(fixture)).Sample(body =>
        {
            var message = Parse(kind, body, variant);
            switch (message.Outcome)
            {
                case WebhookMessageOutcome.Malformed:
                    Assert.False(string.IsNullOrEmpty(message.ErrorPath));
                    Interlocked.Increment(ref malformed);
                    break;
                case WebhookMessageOutcome.Record:
                    Assert.False(string.IsNullOrEmpty(message.MessageId));
                    Assert.True(message.DevEui is not null || message.ParticleId is not null || message.DeviceIdHint is not null);
                    if (Utf8.IsValid(body))
                    {
                        // What the parser accepted, the allow-list rebuilds (the handler refuses nothing more).
                        var stored = RecordPayload.Build(kind, message.NormalizedPayload ?? body, message.DevEui ?? message.ParticleId);
                        Assert.NotNull(stored);
                        using var _ = JsonDocument.Parse(stored);
                    }

                    break;
                case WebhookMessageOutcome.Ignored:
                    Assert.NotNull(message.IgnoredEvent);
                    break;
                default:
                    Assert.Fail($"outcome {message.Outcome}");
                    break;
            }
        }, iter: Iterations);

        // The generator does break bodies: most must be refused.
        Assert.True(malformed > Iterations / 2, $"only {malformed} of {Iterations} refused");
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task The_handler_answers_only_2xx_or_4xx_and_appends_only_on_202(WebhookKind kind, string fixture, string variant)
    {
        var rig = new WebhookRig();
        var (webhookId, token) = kind switch
        {
            WebhookKind.Tts => ("wh_tts", rig.TtsToken.Secret),
            WebhookKind.ChirpStack => ("wh_chirpstack", rig.ChirpStackToken.Secret),
            WebhookKind.Helium => ("wh_helium", rig.HeliumToken.Secret),
            _ => ("wh_particle", rig.ParticleToken.Secret),
        };
        var contentType = variant == "form" ? "application/x-www-form-urlencoded" : "application/json";
        var query = variant == "up" ? "?event=up" : "";
        var bodies = MalformedBodies.From(Fixture.Bytes(fixture)).Array[Iterations].Single();

        var accepted = 0;
        var statuses = new Dictionary<int, int>();
        foreach (var body in bodies)
        {
            var reply = await rig.PostAsync(webhookId, token, body, contentType, query);
            statuses[reply.Status] = statuses.GetValueOrDefault(reply.Status) + 1;
            Assert.True(reply.Status is 202 or 204 or 400 or 404 or 413, $"{reply.Status}: {reply.Body}");
            accepted += reply.Status == 202 ? 1 : 0;
        }

        Assert.Equal(accepted, rig.Appended().Count);
        Assert.True(statuses.GetValueOrDefault(400) > Iterations / 2, string.Join(", ", statuses));
    }

    private static WebhookMessage Parse(WebhookKind kind, byte[] body, string variant) => kind switch
    {
        WebhookKind.Tts => TtsUplinkParser.Parse(body),
        WebhookKind.ChirpStack => ChirpStackEventParser.Parse(body, variant),
        WebhookKind.Helium => HeliumUplinkParser.Parse(body),
        _ => variant == "form" ? ParticleEventParser.ParseForm(body) : ParticleEventParser.ParseJson(body),
    };
}
