using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using Datacake.Streams.Access;
using Datacake.Streams.Payloads.ChirpStack;
using Datacake.Streams.Payloads.Envelopes;
using Datacake.Streams.Payloads.Helium;
using Datacake.Streams.Payloads.Particle;
using Datacake.Streams.Payloads.TheThingsStack;
using Datacake.Streams.Payloads.Uplinks;

namespace Datacake.Streams.Payloads.Networks;

/// <summary>
/// Builds a webhook record's payload from an allow-list: each network's folder names the few members of its message
/// that processing needs (payload, counter, port, radio quality, battery) and writes them as <see cref="UplinkFields"/>;
/// nothing else of the body is copied. A member a network adds tomorrow (a location, a name, a tenant id) is
/// therefore dropped without anyone having to know it exists.
/// </summary>
public static class RecordPayload
{
    private static readonly JsonDocumentOptions _documentOptions = new() { MaxDepth = JsonFields.ReaderOptions.MaxDepth };

    private static readonly JsonWriterOptions _writerOptions = new()
    {
        // Read by our processors, not embedded in HTML: non-ASCII text of a decoded object stays as it came.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>
    /// The <see cref="UplinkFields"/> object of a message the <paramref name="kind"/>'s parser accepted, led by the
    /// <paramref name="device"/> key ingest routed by; null when the body is not readable JSON (never thrown).
    /// </summary>
    public static byte[]? Build(WebhookKind kind, ReadOnlyMemory<byte> json, string? device)
    {
        try
        {
            using var document = JsonDocument.Parse(json, _documentOptions);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            // The allow-listed members are a few dozen bytes; a decoded object is as long as it was in the body.
            var output = new ArrayBufferWriter<byte>(Math.Min(json.Length, 1024) + 64);
            using (var writer = new Utf8JsonWriter(output, _writerOptions))
            {
                writer.WriteStartObject();
                if (device is not null)
                {
                    writer.WriteString(UplinkFields.Device, device);
                }

                switch (kind)
                {
                    case WebhookKind.Tts:
                        TtsRecordFields.Write(root, writer);
                        break;
                    case WebhookKind.ChirpStack:
                        ChirpStackRecordFields.Write(root, writer);
                        break;
                    case WebhookKind.Helium:
                        HeliumRecordFields.Write(root, writer);
                        break;
                    case WebhookKind.Particle:
                        ParticleRecordFields.Write(root, writer);
                        break;
                    default:
                        return null;
                }

                writer.WriteEndObject();
            }

            return output.WrittenSpan.ToArray();
        }
        catch (JsonException)
        {
            return null;
        }
        catch (InvalidOperationException)
        {
            // JsonDocument checks structure, not the UTF-8 inside strings: reading such a string throws this.
            return null;
        }
    }

    /// <summary>A finite number member of <paramref name="parent"/> as <paramref name="member"/>; nothing when absent or not a number.</summary>
    internal static void CopyNumber(Utf8JsonWriter writer, JsonElement parent, string name, string member)
    {
        if (UplinkJson.TryNumber(parent, name, out var value))
        {
            writer.WriteNumber(member, value);
        }
    }

    /// <summary>
    /// The measurements: the network-side decoded object when there is one (processing prefers it), else the device
    /// bytes as a base64 string; true when either was written.
    /// </summary>
    internal static bool CopyValues(Utf8JsonWriter writer, JsonElement decodedParent, string decodedName, JsonElement bytesParent, string bytesName)
    {
        if (UplinkJson.TryObject(decodedParent, decodedName, out var decoded))
        {
            writer.WritePropertyName(UplinkFields.Decoded);
            decoded.WriteTo(writer);
            return true;
        }

        if (bytesParent.ValueKind == JsonValueKind.Object
            && bytesParent.TryGetProperty(bytesName, out var bytes)
            && bytes.ValueKind == JsonValueKind.String)
        {
            writer.WriteString(UplinkFields.Bytes, bytes.GetString());
            return true;
        }

        return false;
    }

    /// <summary>Of the gateway array, only how many there were and the best one's RSSI and SNR: no id, name or location.</summary>
    internal static void CopyGateways(Utf8JsonWriter writer, JsonElement parent, string arrayName)
    {
        if (!UplinkJson.TryBestGateway(parent, arrayName, out var count, out var rssi, out var snr))
        {
            return;
        }

        writer.WriteNumber(UplinkFields.Gateways, count);
        if (rssi is { } r)
        {
            writer.WriteNumber(UplinkFields.Rssi, r);
        }

        if (snr is { } s)
        {
            writer.WriteNumber(UplinkFields.Snr, s);
        }
    }
}
