using System.Text.Json;
using Datacake.Streams.Payloads.Networks;

namespace Datacake.Streams.Payloads.Particle;

/// <summary>
/// The allow-list of a Particle event: <c>data</c> only (the device is the record's, the time its device time).
/// Dropped with everything else: the <c>event</c> name the user chose, <c>userid</c>, <c>fw_version</c>, custom
/// template members.
/// </summary>
internal static class ParticleRecordFields
{
    public static void Write(JsonElement root, Utf8JsonWriter writer)
    {
        if (!root.TryGetProperty(ParticleFormat.Data, out var data))
        {
            return;
        }

        // Particle sends a string; a custom JSON template may inline a number or an object: kept as its JSON text,
        // which processing reads like the string form.
        writer.WriteString(UplinkFields.Data, data.ValueKind == JsonValueKind.String ? data.GetString() : data.GetRawText());
    }
}
