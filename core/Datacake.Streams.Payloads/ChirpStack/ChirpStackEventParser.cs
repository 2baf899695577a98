using System.Text.Json;
using Datacake.Streams.Access;
using Datacake.Streams.Payloads.Envelopes;

namespace Datacake.Streams.Payloads.ChirpStack;

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
            if (reader.ValueTextEquals(ChirpStackFormat.DeduplicationId))
            {
                JsonFields.Once(ref seenId, $"$.{ChirpStackFormat.DeduplicationId}");
                fields.DeduplicationId = JsonFields.Identifier(ref reader, $"$.{ChirpStackFormat.DeduplicationId}");
            }
            else if (reader.ValueTextEquals(ChirpStackFormat.Time))
            {
                JsonFields.Once(ref seenTime, $"$.{ChirpStackFormat.Time}");
                fields.Time = JsonFields.Timestamp(ref reader, $"$.{ChirpStackFormat.Time}");
            }
            else if (reader.ValueTextEquals(ChirpStackFormat.DeviceInfo))
            {
                JsonFields.Once(ref seenDevice, $"$.{ChirpStackFormat.DeviceInfo}");
                reader.Read();
                JsonFields.ExpectObject(ref reader, $"$.{ChirpStackFormat.DeviceInfo}");
                fields.DevEui = ReadDeviceInfo(ref reader);
            }
            else if (uplink && reader.ValueTextEquals(ChirpStackFormat.DevAddr))
            {
                JsonFields.Once(ref seenAddr, $"$.{ChirpStackFormat.DevAddr}");
                fields.DevAddr = JsonFields.Identifier(ref reader, $"$.{ChirpStackFormat.DevAddr}");
            }
            else if (uplink && reader.ValueTextEquals(ChirpStackFormat.FCnt))
            {
                JsonFields.Once(ref seenCount, $"$.{ChirpStackFormat.FCnt}");
                fields.FrameCounter = JsonFields.UInt32(ref reader, $"$.{ChirpStackFormat.FCnt}");
            }
            else if (uplink && reader.ValueTextEquals(ChirpStackFormat.FPort))
            {
                JsonFields.Once(ref seenPort, $"$.{ChirpStackFormat.FPort}");
                fields.Port = JsonFields.UInt32(ref reader, $"$.{ChirpStackFormat.FPort}");
                if (fields.Port > 255)
                {
                    throw new WebhookFormatException($"$.{ChirpStackFormat.FPort}", "a LoRaWAN port is 0 to 255");
                }
            }
            else if (uplink && reader.ValueTextEquals(ChirpStackFormat.Data))
            {
                JsonFields.Once(ref seenData, $"$.{ChirpStackFormat.Data}");
                JsonFields.Base64(ref reader, $"$.{ChirpStackFormat.Data}");
            }
            else if (uplink && reader.ValueTextEquals(ChirpStackFormat.Object))
            {
                JsonFields.Once(ref seenObject, $"$.{ChirpStackFormat.Object}");
                JsonFields.OptionalObject(ref reader, $"$.{ChirpStackFormat.Object}");
            }
            else if (uplink && reader.ValueTextEquals(ChirpStackFormat.RxInfo))
            {
                JsonFields.Once(ref seenRx, $"$.{ChirpStackFormat.RxInfo}");
                JsonFields.OptionalArray(ref reader, $"$.{ChirpStackFormat.RxInfo}");
            }
            else
            {
                JsonFields.SkipValue(ref reader);
            }
        }

        JsonFields.ExpectEnd(ref reader);
        if (fields.DeduplicationId is null)
        {
            throw new WebhookFormatException($"$.{ChirpStackFormat.DeduplicationId}", "required");
        }

        if (fields.DevEui is null)
        {
            throw new WebhookFormatException($"$.{ChirpStackFormat.DeviceInfo}.{ChirpStackFormat.DevEui}", "required");
        }

        return fields;
    }

    private static string? ReadDeviceInfo(ref Utf8JsonReader reader)
    {
        string? devEui = null;
        var seen = false;
        while (JsonFields.NextProperty(ref reader))
        {
            if (reader.ValueTextEquals(ChirpStackFormat.DevEui))
            {
                JsonFields.Once(ref seen, $"$.{ChirpStackFormat.DeviceInfo}.{ChirpStackFormat.DevEui}");
                var text = JsonFields.Identifier(ref reader, $"$.{ChirpStackFormat.DeviceInfo}.{ChirpStackFormat.DevEui}");
                devEui = DevEui.TryParse(text, out var eui)
                    ? eui.ToString()
                    : throw new WebhookFormatException($"$.{ChirpStackFormat.DeviceInfo}.{ChirpStackFormat.DevEui}", "expected 16 hex digits");
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
