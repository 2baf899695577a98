using System.Text;
using Datacake.Streams.Access;
using Datacake.Streams.Payloads.ChirpStack;
using Datacake.Streams.Payloads.Envelopes;
using Datacake.Streams.Payloads.Helium;
using Datacake.Streams.Payloads.Networks;
using Datacake.Streams.Payloads.Particle;
using Datacake.Streams.Payloads.TheThingsStack;

namespace Datacake.Streams.UnitTests.Payloads.Networks;

/// <summary>
/// The <c>*-private.json</c> fixtures: realistic bodies of each network full of what a record must not carry (gateway
/// and user locations at 47.123456 / 8.654321, names, tenant, gateway and hotspot ids, e-mail addresses), every one of
/// them spelled with "marker" so that a scan finds any that leaks.
/// </summary>
internal static class PrivateBodies
{
    /// <summary>Strings none of which may appear in a stored record (compared ignoring case).</summary>
    public static readonly string[] Markers = ["marker", "47.123456", "8.654321", "47.223456", "47.323456", "jane.doe", "@"];

    public static TheoryData<WebhookKind, string> Kinds => new()
    {
        { WebhookKind.Tts, "tts-uplink-private.json" },
        { WebhookKind.ChirpStack, "chirpstack-up-private.json" },
        { WebhookKind.Helium, "helium-uplink-private.json" },
        { WebhookKind.Particle, "particle-event-private.json" },
    };

    public static WebhookMessage Parse(WebhookKind kind, byte[] body) => kind switch
    {
        WebhookKind.Tts => TtsUplinkParser.Parse(body),
        WebhookKind.ChirpStack => ChirpStackEventParser.Parse(body, "up"),
        WebhookKind.Helium => HeliumUplinkParser.Parse(body),
        _ => ParticleEventParser.ParseJson(body),
    };

    /// <summary>What ingest stores for <paramref name="body"/>: parsed, then rebuilt from the allow-list.</summary>
    public static string Stored(WebhookKind kind, byte[] body)
    {
        var message = Parse(kind, body);
        Assert.Equal(WebhookMessageOutcome.Record, message.Outcome);
        var payload = RecordPayload.Build(kind, message.NormalizedPayload ?? body, message.DevEui ?? message.ParticleId);
        Assert.NotNull(payload);
        return Encoding.UTF8.GetString(payload);
    }

    /// <summary>The markers found in <paramref name="text"/>.</summary>
    public static string[] Leaks(string text) =>
        [.. Markers.Where(m => text.Contains(m, StringComparison.OrdinalIgnoreCase))];
}
