using System.Globalization;
using System.Text.Json;
using Datacake.Streams.Access;

namespace Datacake.Streams.Ingest.Webhooks.Parsing;

/// <summary>
/// The Things Stack v3 webhook messages. Only <c>uplink_message</c> becomes a record; join-accepts, downlink events,
/// location and service data are acknowledged and ignored (they carry no measurement).
/// </summary>
/// <remarks>
/// TTS omits fields whose value is 0, "" or false: a missing <c>f_cnt</c> is frame counter 0 and a missing
/// <c>f_port</c> port 0 (a MAC-only uplink). The dedup key is DevEUI + session key id + the 32-bit f_cnt: the session
/// key id changes on every join, so a counter reset after a re-join is a new key, a retried webhook the same one.
/// </remarks>
public static class TtsUplinkParser
{
    public static WebhookMessage Parse(ReadOnlySpan<byte> body) => JsonFields.Guard(body, ParseRoot);

    private static WebhookMessage ParseRoot(ref Utf8JsonReader reader)
    {
        JsonFields.ReadRootObject(ref reader);
        string? devEui = null, deviceId = null, session = null, otherEvent = null;
        uint frameCounter = 0, port = 0;
        long? receivedAt = null, networkReceivedAt = null;
        bool seenIds = false, seenReceived = false, uplink = false;
        while (JsonFields.NextProperty(ref reader))
        {
            if (reader.ValueTextEquals("end_device_ids"u8))
            {
                JsonFields.Once(ref seenIds, "$.end_device_ids");
                reader.Read();
                JsonFields.ExpectObject(ref reader, "$.end_device_ids");
                ReadDeviceIds(ref reader, ref devEui, ref deviceId);
            }
            else if (reader.ValueTextEquals("received_at"u8))
            {
                JsonFields.Once(ref seenReceived, "$.received_at");
                receivedAt = JsonFields.Timestamp(ref reader, "$.received_at");
            }
            else if (reader.ValueTextEquals("uplink_message"u8))
            {
                JsonFields.Once(ref uplink, "$.uplink_message");
                reader.Read();
                JsonFields.ExpectObject(ref reader, "$.uplink_message");
                ReadUplink(ref reader, ref session, ref frameCounter, ref port, ref networkReceivedAt);
            }
            else
            {
                otherEvent ??= EventName(ref reader);
                JsonFields.SkipValue(ref reader);
            }
        }

        JsonFields.ExpectEnd(ref reader);
        if (!uplink)
        {
            return WebhookMessage.Ignore(otherEvent ?? "unknown");
        }

        if (!seenIds || (devEui is null && deviceId is null))
        {
            throw new WebhookFormatException("$.end_device_ids.dev_eui", "an uplink needs end_device_ids.dev_eui");
        }

        string? canonicalEui = null;
        if (devEui is not null)
        {
            canonicalEui = DevEui.TryParse(devEui, out var eui)
                ? eui.ToString()
                : throw new WebhookFormatException("$.end_device_ids.dev_eui", "expected 16 hex digits");
        }

        return new WebhookMessage
        {
            Outcome = WebhookMessageOutcome.Record,
            DevEui = canonicalEui,
            DeviceIdHint = deviceId,
            MessageId = string.Create(CultureInfo.InvariantCulture, $"{canonicalEui ?? deviceId}/{session}/{frameCounter}"),
            FrameCounter = frameCounter,
            Session = session,
            Port = port,
            DeviceTimeUnixNs = networkReceivedAt ?? receivedAt,
        };
    }

    private static void ReadDeviceIds(ref Utf8JsonReader reader, ref string? devEui, ref string? deviceId)
    {
        bool seenEui = false, seenId = false;
        while (JsonFields.NextProperty(ref reader))
        {
            if (reader.ValueTextEquals("dev_eui"u8))
            {
                JsonFields.Once(ref seenEui, "$.end_device_ids.dev_eui");
                devEui = JsonFields.Identifier(ref reader, "$.end_device_ids.dev_eui");
            }
            else if (reader.ValueTextEquals("device_id"u8))
            {
                JsonFields.Once(ref seenId, "$.end_device_ids.device_id");
                deviceId = JsonFields.Identifier(ref reader, "$.end_device_ids.device_id");
            }
            else
            {
                JsonFields.SkipValue(ref reader);
            }
        }
    }

    private static void ReadUplink(ref Utf8JsonReader reader, ref string? session, ref uint frameCounter, ref uint port, ref long? receivedAt)
    {
        bool seenSession = false, seenCount = false, seenPort = false, seenPayload = false, seenDecoded = false, seenRx = false, seenReceived = false;
        while (JsonFields.NextProperty(ref reader))
        {
            if (reader.ValueTextEquals("session_key_id"u8))
            {
                JsonFields.Once(ref seenSession, "$.uplink_message.session_key_id");
                session = JsonFields.Identifier(ref reader, "$.uplink_message.session_key_id");
            }
            else if (reader.ValueTextEquals("f_cnt"u8))
            {
                JsonFields.Once(ref seenCount, "$.uplink_message.f_cnt");
                frameCounter = JsonFields.UInt32(ref reader, "$.uplink_message.f_cnt");
            }
            else if (reader.ValueTextEquals("f_port"u8))
            {
                JsonFields.Once(ref seenPort, "$.uplink_message.f_port");
                port = JsonFields.UInt32(ref reader, "$.uplink_message.f_port");
                if (port > 255)
                {
                    throw new WebhookFormatException("$.uplink_message.f_port", "a LoRaWAN port is 0 to 255");
                }
            }
            else if (reader.ValueTextEquals("frm_payload"u8))
            {
                JsonFields.Once(ref seenPayload, "$.uplink_message.frm_payload");
                JsonFields.Base64(ref reader, "$.uplink_message.frm_payload");
            }
            else if (reader.ValueTextEquals("decoded_payload"u8))
            {
                JsonFields.Once(ref seenDecoded, "$.uplink_message.decoded_payload");
                JsonFields.OptionalObject(ref reader, "$.uplink_message.decoded_payload");
            }
            else if (reader.ValueTextEquals("rx_metadata"u8))
            {
                JsonFields.Once(ref seenRx, "$.uplink_message.rx_metadata");
                JsonFields.OptionalArray(ref reader, "$.uplink_message.rx_metadata");
            }
            else if (reader.ValueTextEquals("received_at"u8))
            {
                JsonFields.Once(ref seenReceived, "$.uplink_message.received_at");
                receivedAt = JsonFields.Timestamp(ref reader, "$.uplink_message.received_at");
            }
            else
            {
                JsonFields.SkipValue(ref reader);
            }
        }
    }

    // Known message kinds, so the acknowledgement can say what it ignored; anything else is "unknown".
    private static string? EventName(ref Utf8JsonReader reader) =>
        reader.ValueTextEquals("join_accept"u8) ? "join_accept"
        : reader.ValueTextEquals("downlink_ack"u8) ? "downlink_ack"
        : reader.ValueTextEquals("downlink_nack"u8) ? "downlink_nack"
        : reader.ValueTextEquals("downlink_sent"u8) ? "downlink_sent"
        : reader.ValueTextEquals("downlink_failed"u8) ? "downlink_failed"
        : reader.ValueTextEquals("downlink_queued"u8) ? "downlink_queued"
        : reader.ValueTextEquals("downlink_queue_invalidated"u8) ? "downlink_queue_invalidated"
        : reader.ValueTextEquals("location_solved"u8) ? "location_solved"
        : reader.ValueTextEquals("service_data"u8) ? "service_data"
        : reader.ValueTextEquals("uplink_normalized"u8) ? "uplink_normalized"
        : null;
}
