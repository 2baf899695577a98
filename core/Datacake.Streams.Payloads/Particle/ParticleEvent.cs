using System.Globalization;
using System.Text.Json;
using Datacake.Streams.Payloads.Fields;

namespace Datacake.Streams.Payloads.Particle;

/// <summary>
/// Particle webhook event: <c>data</c> is a string the firmware published. A JSON object in it is written as
/// fields; a number as field <c>value</c>. Other text is refused (<c>decode_failed</c>): writing it as a string
/// field <c>value</c> would collide with the float <c>value</c> of the device's numeric events in InfluxDB.
/// </summary>
internal static class ParticleEvent
{
    public static DecodeResult Read(JsonElement root, IPointSink sink)
    {
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty(ParticleFormat.Data, out var data))
        {
            return DecodeResult.Failed("particle: the event has no data");
        }

        if (data.ValueKind != JsonValueKind.String)
        {
            return DecodeResult.Failed("particle: data is not a string");
        }

        return ReadText(data.GetString()!, sink);
    }

    /// <summary>The published text: a number as field <c>value</c>, a JSON object as fields.</summary>
    public static DecodeResult ReadText(string published, IPointSink sink)
    {
        var text = published.Trim();
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number))
        {
            sink.AddNumber("value", number);
            return DecodeResult.Ok;
        }

        if (text.StartsWith('{'))
        {
            try
            {
                using var document = JsonDocument.Parse(text, new JsonDocumentOptions { MaxDepth = 16 });
                return DecodedObjectWriter.Write(document.RootElement, sink);
            }
            catch (JsonException ex)
            {
                return DecodeResult.Failed("particle: data is not valid JSON: " + ex.Message);
            }
            catch (InvalidOperationException ex)
            {
                return DecodeResult.Failed("invalid text in JSON: " + ex.Message);
            }
        }

        return DecodeResult.Failed("particle: data is neither a number nor a JSON object");
    }
}
