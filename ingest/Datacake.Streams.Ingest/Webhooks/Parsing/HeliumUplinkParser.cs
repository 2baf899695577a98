using System.Globalization;
using System.Text.Json;
using Datacake.Streams.Access;

namespace Datacake.Streams.Ingest.Webhooks.Parsing;

/// <summary>
/// Helium Console HTTP integration uplinks (the console JSON schema: <c>id</c>, <c>dev_eui</c>, <c>devaddr</c>,
/// <c>fcnt</c>, <c>port</c>, <c>payload</c>, <c>hotspots</c>, <c>reported_at</c> in Unix milliseconds).
/// </summary>
/// <remarks>
/// Helium's schema documents the root <c>id</c> as the UUID of the device in Console, not of the message: used alone
/// as the dedup key it would make every uplink after the first a duplicate. The key is therefore the message's
/// <c>uuid</c> where the console sends one, else <c>id</c> + fcnt + reported_at (identical in a retried delivery,
/// different for every new uplink). Session = <c>devaddr</c> (new on each join). A <c>type</c> other than
/// "uplink" (join, downlink acks in newer consoles) is acknowledged and ignored.
/// </remarks>
public static class HeliumUplinkParser
{
    public static WebhookMessage Parse(ReadOnlySpan<byte> body) => JsonFields.Guard(body, ParseRoot);

    private static WebhookMessage ParseRoot(ref Utf8JsonReader reader)
    {
        JsonFields.ReadRootObject(ref reader);
        string? id = null, uuid = null, devEui = null, devAddr = null, type = null;
        uint frameCounter = 0;
        uint? port = null;
        long? reportedAtMs = null;
        bool seenId = false, seenUuid = false, seenEui = false, seenAddr = false, seenCount = false, seenPort = false;
        bool seenPayload = false, seenHotspots = false, seenReported = false, seenType = false;
        while (JsonFields.NextProperty(ref reader))
        {
            if (reader.ValueTextEquals("id"u8))
            {
                JsonFields.Once(ref seenId, "$.id");
                id = JsonFields.Identifier(ref reader, "$.id");
            }
            else if (reader.ValueTextEquals("uuid"u8))
            {
                JsonFields.Once(ref seenUuid, "$.uuid");
                uuid = JsonFields.Identifier(ref reader, "$.uuid");
            }
            else if (reader.ValueTextEquals("dev_eui"u8))
            {
                JsonFields.Once(ref seenEui, "$.dev_eui");
                devEui = JsonFields.Identifier(ref reader, "$.dev_eui");
            }
            else if (reader.ValueTextEquals("devaddr"u8))
            {
                JsonFields.Once(ref seenAddr, "$.devaddr");
                devAddr = JsonFields.Identifier(ref reader, "$.devaddr");
            }
            else if (reader.ValueTextEquals("fcnt"u8))
            {
                JsonFields.Once(ref seenCount, "$.fcnt");
                frameCounter = JsonFields.UInt32(ref reader, "$.fcnt");
            }
            else if (reader.ValueTextEquals("port"u8))
            {
                JsonFields.Once(ref seenPort, "$.port");
                port = JsonFields.UInt32(ref reader, "$.port");
                if (port > 255)
                {
                    throw new WebhookFormatException("$.port", "a LoRaWAN port is 0 to 255");
                }
            }
            else if (reader.ValueTextEquals("payload"u8))
            {
                JsonFields.Once(ref seenPayload, "$.payload");
                JsonFields.Base64(ref reader, "$.payload");
            }
            else if (reader.ValueTextEquals("hotspots"u8))
            {
                JsonFields.Once(ref seenHotspots, "$.hotspots");
                JsonFields.OptionalArray(ref reader, "$.hotspots");
            }
            else if (reader.ValueTextEquals("reported_at"u8))
            {
                JsonFields.Once(ref seenReported, "$.reported_at");
                reportedAtMs = JsonFields.Int64(ref reader, "$.reported_at");
            }
            else if (reader.ValueTextEquals("type"u8))
            {
                JsonFields.Once(ref seenType, "$.type");
                type = JsonFields.Identifier(ref reader, "$.type");
            }
            else
            {
                JsonFields.SkipValue(ref reader);
            }
        }

        JsonFields.ExpectEnd(ref reader);
        if (type is not null && type != "uplink")
        {
            return WebhookMessage.Ignore(type);
        }

        if (devEui is null)
        {
            throw new WebhookFormatException("$.dev_eui", "required");
        }

        if (!DevEui.TryParse(devEui, out var eui))
        {
            throw new WebhookFormatException("$.dev_eui", "expected 16 hex digits");
        }

        if (uuid is null && id is null)
        {
            throw new WebhookFormatException("$.id", "required");
        }

        // Unix milliseconds up to year 2262, where Unix nanoseconds end.
        const long maxMs = long.MaxValue / 1_000_000;
        if (reportedAtMs is < 0 or > maxMs)
        {
            throw new WebhookFormatException("$.reported_at", "expected Unix milliseconds");
        }

        return new WebhookMessage
        {
            Outcome = WebhookMessageOutcome.Record,
            DevEui = eui.ToString(),
            MessageId = uuid ?? string.Create(CultureInfo.InvariantCulture, $"{id}/{frameCounter}/{reportedAtMs}"),
            FrameCounter = frameCounter,
            Session = devAddr,
            Port = port,
            DeviceTimeUnixNs = reportedAtMs * 1_000_000,
        };
    }
}
