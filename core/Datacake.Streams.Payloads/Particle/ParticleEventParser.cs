using System.Buffers;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Datacake.Streams.Payloads.Envelopes;
using Datacake.Streams.Payloads.Time;

namespace Datacake.Streams.Payloads.Particle;

/// <summary>
/// Particle cloud webhook events: the default form-urlencoded body (<c>event</c>, <c>data</c>, <c>published_at</c>,
/// <c>coreid</c>) or the same fields as JSON. The device is routed by <c>coreid</c>, the dedup key is coreid +
/// published_at + a hash of the event name (Particle retries a failed delivery with the same three).
/// </summary>
/// <remarks>A form body is stored as the equivalent JSON object, so that every webhook record's payload is JSON.</remarks>
public static class ParticleEventParser
{
    // Particle event names are at most 64 characters, event data 1,024 bytes (622 on older Device OS); form fields
    // beyond these bounds are not Particle's.
    private const int MaxFormFields = 32;

    public static WebhookMessage ParseJson(ReadOnlySpan<byte> body) => JsonFields.Guard(body, ParseRoot);

    public static WebhookMessage ParseForm(ReadOnlySpan<byte> body)
    {
        string text;
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(body);
        }
        catch (DecoderFallbackException)
        {
            return WebhookMessage.Malformed("$", "the form is not valid UTF-8");
        }

        var fields = new List<KeyValuePair<string, string>>();
        foreach (var pair in text.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            if (fields.Count == MaxFormFields)
            {
                return WebhookMessage.Malformed("$", $"more than {MaxFormFields} form fields");
            }

            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            var name = Decode(equals < 0 ? pair : pair[..equals]);
            var value = equals < 0 ? string.Empty : Decode(pair[(equals + 1)..]);
            if (name.Length == 0)
            {
                return WebhookMessage.Malformed("$", "a form field without a name");
            }

            if (fields.Exists(f => f.Key == name))
            {
                return WebhookMessage.Malformed(name, "the field appears twice");
            }

            fields.Add(new(name, value));
        }

        string? Field(string name) => fields.Find(f => f.Key == name).Value;
        var result = Build(Field(ParticleFormat.Event), Field(ParticleFormat.CoreId), Field(ParticleFormat.PublishedAt), "");
        if (result.Outcome != WebhookMessageOutcome.Record)
        {
            return result;
        }

        var json = new ArrayBufferWriter<byte>(text.Length + 64);
        using (var writer = new Utf8JsonWriter(json))
        {
            writer.WriteStartObject();
            foreach (var (name, value) in fields)
            {
                writer.WriteString(name, value);
            }

            writer.WriteEndObject();
        }

        return result with { NormalizedPayload = json.WrittenSpan.ToArray() };
    }

    private static string Decode(string text) => WebUtility.UrlDecode(text);

    /// <summary>
    /// The event name the user chose stands in the dedup key only as 64 bits of its SHA-256: two events of one device
    /// published at the same instant still differ (a collision needs 2^32 names at that instant), and the record
    /// carries no name.
    /// </summary>
    private static string EventKey(string eventName)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(eventName), hash);
        return Convert.ToHexStringLower(hash[..8]);
    }

    private static WebhookMessage ParseRoot(ref Utf8JsonReader reader)
    {
        JsonFields.ReadRootObject(ref reader);
        string? eventName = null, coreId = null, publishedAt = null;
        bool seenEvent = false, seenCore = false, seenPublished = false, seenData = false;
        while (JsonFields.NextProperty(ref reader))
        {
            if (reader.ValueTextEquals(ParticleFormat.Event))
            {
                JsonFields.Once(ref seenEvent, $"$.{ParticleFormat.Event}");
                eventName = JsonFields.Identifier(ref reader, $"$.{ParticleFormat.Event}");
            }
            else if (reader.ValueTextEquals(ParticleFormat.CoreId))
            {
                JsonFields.Once(ref seenCore, $"$.{ParticleFormat.CoreId}");
                coreId = JsonFields.Identifier(ref reader, $"$.{ParticleFormat.CoreId}");
            }
            else if (reader.ValueTextEquals(ParticleFormat.PublishedAt))
            {
                JsonFields.Once(ref seenPublished, $"$.{ParticleFormat.PublishedAt}");
                publishedAt = JsonFields.Identifier(ref reader, $"$.{ParticleFormat.PublishedAt}");
            }
            else if (reader.ValueTextEquals(ParticleFormat.Data))
            {
                // Particle sends data as a string; a custom JSON template may inline it as JSON. Both are stored.
                JsonFields.Once(ref seenData, $"$.{ParticleFormat.Data}");
                JsonFields.SkipValue(ref reader);
            }
            else
            {
                JsonFields.SkipValue(ref reader);
            }
        }

        JsonFields.ExpectEnd(ref reader);
        return Build(eventName, coreId, publishedAt, "$.");
    }

    private static WebhookMessage Build(string? eventName, string? coreId, string? publishedAt, string pathPrefix)
    {
        if (string.IsNullOrEmpty(eventName) || eventName.Length > JsonFields.MaxIdentifierLength)
        {
            return WebhookMessage.Malformed(pathPrefix + ParticleFormat.Event, "required: the Particle event name");
        }

        if (string.IsNullOrEmpty(coreId) || coreId.Length > JsonFields.MaxIdentifierLength)
        {
            return WebhookMessage.Malformed(pathPrefix + ParticleFormat.CoreId, "required: the Particle device id");
        }

        if (string.IsNullOrEmpty(publishedAt) || !Rfc3339.TryParseUnixNanoseconds(publishedAt, out var publishedNs))
        {
            return WebhookMessage.Malformed(pathPrefix + ParticleFormat.PublishedAt, "required: an RFC 3339 time");
        }

        return new WebhookMessage
        {
            Outcome = WebhookMessageOutcome.Record,
            ParticleId = coreId,
            MessageId = $"{coreId}/{publishedAt}/{EventKey(eventName)}",
            DeviceTimeUnixNs = publishedNs,
        };
    }
}
