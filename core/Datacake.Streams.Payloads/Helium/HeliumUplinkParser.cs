using System.Globalization;
using System.Text.Json;
using Datacake.Streams.Access;
using Datacake.Streams.Payloads.Envelopes;
using Datacake.Streams.Payloads.Time;

namespace Datacake.Streams.Payloads.Helium;

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
            if (reader.ValueTextEquals(HeliumFormat.Id))
            {
                JsonFields.Once(ref seenId, $"$.{HeliumFormat.Id}");
                id = JsonFields.Identifier(ref reader, $"$.{HeliumFormat.Id}");
            }
            else if (reader.ValueTextEquals(HeliumFormat.Uuid))
            {
                JsonFields.Once(ref seenUuid, $"$.{HeliumFormat.Uuid}");
                uuid = JsonFields.Identifier(ref reader, $"$.{HeliumFormat.Uuid}");
            }
            else if (reader.ValueTextEquals(HeliumFormat.DevEui))
            {
                JsonFields.Once(ref seenEui, $"$.{HeliumFormat.DevEui}");
                devEui = JsonFields.Identifier(ref reader, $"$.{HeliumFormat.DevEui}");
            }
            else if (reader.ValueTextEquals(HeliumFormat.Devaddr))
            {
                JsonFields.Once(ref seenAddr, $"$.{HeliumFormat.Devaddr}");
                devAddr = JsonFields.Identifier(ref reader, $"$.{HeliumFormat.Devaddr}");
            }
            else if (reader.ValueTextEquals(HeliumFormat.Fcnt))
            {
                JsonFields.Once(ref seenCount, $"$.{HeliumFormat.Fcnt}");
                frameCounter = JsonFields.UInt32(ref reader, $"$.{HeliumFormat.Fcnt}");
            }
            else if (reader.ValueTextEquals(HeliumFormat.Port))
            {
                JsonFields.Once(ref seenPort, $"$.{HeliumFormat.Port}");
                port = JsonFields.UInt32(ref reader, $"$.{HeliumFormat.Port}");
                if (port > 255)
                {
                    throw new WebhookFormatException($"$.{HeliumFormat.Port}", "a LoRaWAN port is 0 to 255");
                }
            }
            else if (reader.ValueTextEquals(HeliumFormat.Payload))
            {
                JsonFields.Once(ref seenPayload, $"$.{HeliumFormat.Payload}");
                JsonFields.Base64(ref reader, $"$.{HeliumFormat.Payload}");
            }
            else if (reader.ValueTextEquals(HeliumFormat.Hotspots))
            {
                JsonFields.Once(ref seenHotspots, $"$.{HeliumFormat.Hotspots}");
                JsonFields.OptionalArray(ref reader, $"$.{HeliumFormat.Hotspots}");
            }
            else if (reader.ValueTextEquals(HeliumFormat.ReportedAt))
            {
                JsonFields.Once(ref seenReported, $"$.{HeliumFormat.ReportedAt}");
                reportedAtMs = JsonFields.Int64(ref reader, $"$.{HeliumFormat.ReportedAt}");
            }
            else if (reader.ValueTextEquals(HeliumFormat.Type))
            {
                JsonFields.Once(ref seenType, $"$.{HeliumFormat.Type}");
                type = JsonFields.Identifier(ref reader, $"$.{HeliumFormat.Type}");
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
            throw new WebhookFormatException($"$.{HeliumFormat.DevEui}", "required");
        }

        if (!DevEui.TryParse(devEui, out var eui))
        {
            throw new WebhookFormatException($"$.{HeliumFormat.DevEui}", "expected 16 hex digits");
        }

        if (uuid is null && id is null)
        {
            throw new WebhookFormatException($"$.{HeliumFormat.Id}", "required");
        }

        long? reportedAtNs = null;
        if (reportedAtMs is { } ms)
        {
            reportedAtNs = EpochMilliseconds.TryToUnixNanoseconds(ms, out var ns)
                ? ns
                : throw new WebhookFormatException($"$.{HeliumFormat.ReportedAt}", "expected Unix milliseconds from 1970 on");
        }

        return new WebhookMessage
        {
            Outcome = WebhookMessageOutcome.Record,
            DevEui = eui.ToString(),
            MessageId = uuid ?? string.Create(CultureInfo.InvariantCulture, $"{id}/{frameCounter}/{reportedAtMs}"),
            FrameCounter = frameCounter,
            Session = devAddr,
            Port = port,
            DeviceTimeUnixNs = reportedAtNs,
        };
    }
}
