using System.Text.Json;
using Datacake.Streams.Access;

namespace Datacake.Streams.Ingest.Webhooks.Parsing;

/// <summary>
/// ChirpStack v4 HTTP integration events (JSON encoding), one per request with <c>?event=</c> naming its type.
/// </summary>
/// <remarks>
/// <c>up</c> becomes a record: MessageId = <c>deduplicationId</c> (one per uplink across gateways), FrameCounter =
/// <c>fCnt</c>, Session = <c>devAddr</c> (the up event carries no session key id; a join assigns a new DevAddr, so a
/// counter reset after a re-join starts a new session for the replay guard). ChirpStack omits zero values: a missing
/// fCnt or fPort is 0. <c>status</c> (battery level, link margin) is kept as a metadata record with MessageId
/// <c>status/</c> + deduplicationId (the status event reuses the id of the uplink that carried it) and no counter or
/// port. <c>join</c>, <c>ack</c>, <c>txack</c>, <c>log</c>, <c>location</c> and <c>integration</c> are acknowledged and
/// ignored.
/// </remarks>
public static class ChirpStackEventParser
{
    public const string StatusMessagePrefix = "status/";

    public static WebhookMessage Parse(ReadOnlySpan<byte> body, string? eventType) => eventType switch
    {
        "up" => JsonFields.Guard(body, ParseUp),
        "status" => JsonFields.Guard(body, ParseStatus),
        null or "" => WebhookMessage.Malformed("?event", "ChirpStack names the event type in the query string: ?event=up"),
        _ => JsonFields.Guard(body, (ref Utf8JsonReader reader) => Ignore(ref reader, eventType)),
    };

    private static WebhookMessage ParseUp(ref Utf8JsonReader reader)
    {
        var fields = ReadEvent(ref reader, uplink: true);
        return new WebhookMessage
        {
            Outcome = WebhookMessageOutcome.Record,
            DevEui = fields.DevEui,
            MessageId = fields.DeduplicationId,
            FrameCounter = fields.FrameCounter,
            Session = fields.DevAddr,
            Port = fields.Port,
            DeviceTimeUnixNs = fields.Time,
        };
    }

    private static WebhookMessage ParseStatus(ref Utf8JsonReader reader)
    {
        var fields = ReadEvent(ref reader, uplink: false);
        return new WebhookMessage
        {
            Outcome = WebhookMessageOutcome.Record,
            DevEui = fields.DevEui,
            MessageId = StatusMessagePrefix + fields.DeduplicationId,
            DeviceTimeUnixNs = fields.Time,
        };
    }

    // Other events are still checked to be a JSON object: a garbage body is a sender problem worth a 400.
    private static WebhookMessage Ignore(ref Utf8JsonReader reader, string eventType)
    {
        JsonFields.ReadRootObject(ref reader);
        reader.Skip();
        JsonFields.ExpectEnd(ref reader);
        return WebhookMessage.Ignore(eventType);
    }

    private static EventFields ReadEvent(ref Utf8JsonReader reader, bool uplink)
    {
        JsonFields.ReadRootObject(ref reader);
        var fields = new EventFields();
        bool seenId = false, seenTime = false, seenDevice = false, seenAddr = false, seenCount = false, seenPort = false;
        bool seenData = false, seenObject = false, seenRx = false;
        while (JsonFields.NextProperty(ref reader))
        {
            if (reader.ValueTextEquals("deduplicationId"u8))
            {
                JsonFields.Once(ref seenId, "$.deduplicationId");
                fields.DeduplicationId = JsonFields.Identifier(ref reader, "$.deduplicationId");
            }
            else if (reader.ValueTextEquals("time"u8))
            {
                JsonFields.Once(ref seenTime, "$.time");
                fields.Time = JsonFields.Timestamp(ref reader, "$.time");
            }
            else if (reader.ValueTextEquals("deviceInfo"u8))
            {
                JsonFields.Once(ref seenDevice, "$.deviceInfo");
                reader.Read();
                JsonFields.ExpectObject(ref reader, "$.deviceInfo");
                fields.DevEui = ReadDeviceInfo(ref reader);
            }
            else if (uplink && reader.ValueTextEquals("devAddr"u8))
            {
                JsonFields.Once(ref seenAddr, "$.devAddr");
                fields.DevAddr = JsonFields.Identifier(ref reader, "$.devAddr");
            }
            else if (uplink && reader.ValueTextEquals("fCnt"u8))
            {
                JsonFields.Once(ref seenCount, "$.fCnt");
                fields.FrameCounter = JsonFields.UInt32(ref reader, "$.fCnt");
            }
            else if (uplink && reader.ValueTextEquals("fPort"u8))
            {
                JsonFields.Once(ref seenPort, "$.fPort");
                fields.Port = JsonFields.UInt32(ref reader, "$.fPort");
                if (fields.Port > 255)
                {
                    throw new WebhookFormatException("$.fPort", "a LoRaWAN port is 0 to 255");
                }
            }
            else if (uplink && reader.ValueTextEquals("data"u8))
            {
                JsonFields.Once(ref seenData, "$.data");
                JsonFields.Base64(ref reader, "$.data");
            }
            else if (uplink && reader.ValueTextEquals("object"u8))
            {
                JsonFields.Once(ref seenObject, "$.object");
                JsonFields.OptionalObject(ref reader, "$.object");
            }
            else if (uplink && reader.ValueTextEquals("rxInfo"u8))
            {
                JsonFields.Once(ref seenRx, "$.rxInfo");
                JsonFields.OptionalArray(ref reader, "$.rxInfo");
            }
            else
            {
                JsonFields.SkipValue(ref reader);
            }
        }

        JsonFields.ExpectEnd(ref reader);
        if (fields.DeduplicationId is null)
        {
            throw new WebhookFormatException("$.deduplicationId", "required");
        }

        if (fields.DevEui is null)
        {
            throw new WebhookFormatException("$.deviceInfo.devEui", "required");
        }

        return fields;
    }

    private static string? ReadDeviceInfo(ref Utf8JsonReader reader)
    {
        string? devEui = null;
        var seen = false;
        while (JsonFields.NextProperty(ref reader))
        {
            if (reader.ValueTextEquals("devEui"u8))
            {
                JsonFields.Once(ref seen, "$.deviceInfo.devEui");
                var text = JsonFields.Identifier(ref reader, "$.deviceInfo.devEui");
                devEui = DevEui.TryParse(text, out var eui)
                    ? eui.ToString()
                    : throw new WebhookFormatException("$.deviceInfo.devEui", "expected 16 hex digits");
            }
            else
            {
                JsonFields.SkipValue(ref reader);
            }
        }

        return devEui;
    }

    private sealed class EventFields
    {
        public string? DeduplicationId { get; set; }

        public long? Time { get; set; }

        public string? DevEui { get; set; }

        public string? DevAddr { get; set; }

        public uint FrameCounter { get; set; }

        public uint Port { get; set; }
    }
}
