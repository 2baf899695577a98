using System.Globalization;
using System.Text.Json;
using Datacake.Streams.Access;
using Datacake.Streams.Payloads.Envelopes;

namespace Datacake.Streams.Payloads.TheThingsStack;

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
            if (reader.ValueTextEquals(TtsFormat.EndDeviceIds))
            {
                JsonFields.Once(ref seenIds, $"$.{TtsFormat.EndDeviceIds}");
                reader.Read();
                JsonFields.ExpectObject(ref reader, $"$.{TtsFormat.EndDeviceIds}");
                ReadDeviceIds(ref reader, ref devEui, ref deviceId);
            }
            else if (reader.ValueTextEquals(TtsFormat.ReceivedAt))
            {
                JsonFields.Once(ref seenReceived, $"$.{TtsFormat.ReceivedAt}");
                receivedAt = JsonFields.Timestamp(ref reader, $"$.{TtsFormat.ReceivedAt}");
            }
            else if (reader.ValueTextEquals(TtsFormat.UplinkMessage))
            {
                JsonFields.Once(ref uplink, $"$.{TtsFormat.UplinkMessage}");
                reader.Read();
                JsonFields.ExpectObject(ref reader, $"$.{TtsFormat.UplinkMessage}");
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
            throw new WebhookFormatException($"$.{TtsFormat.EndDeviceIds}.{TtsFormat.DevEui}", "an uplink needs end_device_ids.dev_eui");
        }

        string? canonicalEui = null;
        if (devEui is not null)
        {
            canonicalEui = DevEui.TryParse(devEui, out var eui)
                ? eui.ToString()
                : throw new WebhookFormatException($"$.{TtsFormat.EndDeviceIds}.{TtsFormat.DevEui}", "expected 16 hex digits");
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
            if (reader.ValueTextEquals(TtsFormat.DevEui))
            {
                JsonFields.Once(ref seenEui, $"$.{TtsFormat.EndDeviceIds}.{TtsFormat.DevEui}");
                devEui = JsonFields.Identifier(ref reader, $"$.{TtsFormat.EndDeviceIds}.{TtsFormat.DevEui}");
            }
            else if (reader.ValueTextEquals(TtsFormat.DeviceId))
            {
                JsonFields.Once(ref seenId, $"$.{TtsFormat.EndDeviceIds}.{TtsFormat.DeviceId}");
                deviceId = JsonFields.Identifier(ref reader, $"$.{TtsFormat.EndDeviceIds}.{TtsFormat.DeviceId}");
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
            if (reader.ValueTextEquals(TtsFormat.SessionKeyId))
            {
                JsonFields.Once(ref seenSession, $"$.{TtsFormat.UplinkMessage}.{TtsFormat.SessionKeyId}");
                session = JsonFields.Identifier(ref reader, $"$.{TtsFormat.UplinkMessage}.{TtsFormat.SessionKeyId}");
            }
            else if (reader.ValueTextEquals(TtsFormat.FCnt))
            {
                JsonFields.Once(ref seenCount, $"$.{TtsFormat.UplinkMessage}.{TtsFormat.FCnt}");
                frameCounter = JsonFields.UInt32(ref reader, $"$.{TtsFormat.UplinkMessage}.{TtsFormat.FCnt}");
            }
            else if (reader.ValueTextEquals(TtsFormat.FPort))
            {
                JsonFields.Once(ref seenPort, $"$.{TtsFormat.UplinkMessage}.{TtsFormat.FPort}");
                port = JsonFields.UInt32(ref reader, $"$.{TtsFormat.UplinkMessage}.{TtsFormat.FPort}");
                if (port > 255)
                {
                    throw new WebhookFormatException($"$.{TtsFormat.UplinkMessage}.{TtsFormat.FPort}", "a LoRaWAN port is 0 to 255");
                }
            }
            else if (reader.ValueTextEquals(TtsFormat.FrmPayload))
            {
                JsonFields.Once(ref seenPayload, $"$.{TtsFormat.UplinkMessage}.{TtsFormat.FrmPayload}");
                JsonFields.Base64(ref reader, $"$.{TtsFormat.UplinkMessage}.{TtsFormat.FrmPayload}");
            }
            else if (reader.ValueTextEquals(TtsFormat.DecodedPayload))
            {
                JsonFields.Once(ref seenDecoded, $"$.{TtsFormat.UplinkMessage}.{TtsFormat.DecodedPayload}");
                JsonFields.OptionalObject(ref reader, $"$.{TtsFormat.UplinkMessage}.{TtsFormat.DecodedPayload}");
            }
            else if (reader.ValueTextEquals(TtsFormat.RxMetadata))
            {
                JsonFields.Once(ref seenRx, $"$.{TtsFormat.UplinkMessage}.{TtsFormat.RxMetadata}");
                JsonFields.OptionalArray(ref reader, $"$.{TtsFormat.UplinkMessage}.{TtsFormat.RxMetadata}");
            }
            else if (reader.ValueTextEquals(TtsFormat.ReceivedAt))
            {
                JsonFields.Once(ref seenReceived, $"$.{TtsFormat.UplinkMessage}.{TtsFormat.ReceivedAt}");
                receivedAt = JsonFields.Timestamp(ref reader, $"$.{TtsFormat.UplinkMessage}.{TtsFormat.ReceivedAt}");
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
