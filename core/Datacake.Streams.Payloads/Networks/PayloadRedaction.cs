using System.Buffers;
using System.Collections.Frozen;
using System.Text.Encodings.Web;
using System.Text.Json;
using Datacake.Streams.Access;
using Datacake.Streams.Payloads.ChirpStack;
using Datacake.Streams.Payloads.Envelopes;
using Datacake.Streams.Payloads.Helium;
using Datacake.Streams.Payloads.Particle;
using Datacake.Streams.Payloads.TheThingsStack;

namespace Datacake.Streams.Payloads.Networks;

/// <summary>
/// Removes the names a network server puts in its messages (tenant, application, device and profile names, tags,
/// labels, the Particle account id) before the body becomes a record payload: records are anonymous at rest, and
/// names live only in the metadata store. The message keeps its shape, so processors read it as the sender's format.
/// </summary>
public static class PayloadRedaction
{
    // Each network's folder names its paths, in a simple notation: "$" root, ".name" property, "[]" any array element.
    private static readonly FrozenSet<string> _tts = FrozenSet.Create(StringComparer.Ordinal, TtsFormat.RedactedPaths);

    private static readonly FrozenSet<string> _chirpStack = FrozenSet.Create(StringComparer.Ordinal, ChirpStackFormat.RedactedPaths);

    private static readonly FrozenSet<string> _helium = FrozenSet.Create(StringComparer.Ordinal, HeliumFormat.RedactedPaths);

    private static readonly FrozenSet<string> _particle = FrozenSet.Create(StringComparer.Ordinal, ParticleFormat.RedactedPaths);

    private static readonly JsonWriterOptions _writerOptions = new()
    {
        // The payload is read by our processors, not embedded in HTML: keep non-ASCII text as it came.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        SkipValidation = true,
    };

    /// <summary>The paths removed for <paramref name="kind"/> (for tests and documentation).</summary>
    public static IReadOnlySet<string> PathsFor(WebhookKind kind) => kind switch
    {
        WebhookKind.Tts => _tts,
        WebhookKind.ChirpStack => _chirpStack,
        WebhookKind.Helium => _helium,
        WebhookKind.Particle => _particle,
        _ => FrozenSet<string>.Empty,
    };

    /// <summary>
    /// A copy of <paramref name="json"/> (valid JSON: the parser accepted it) without the <paramref name="kind"/>'s
    /// name paths. Numbers keep their exact text; strings are unescaped and written again.
    /// </summary>
    public static byte[] Redact(WebhookKind kind, ReadOnlySpan<byte> json)
    {
        var drop = PathsFor(kind);
        var output = new ArrayBufferWriter<byte>(json.Length);
        var reader = new Utf8JsonReader(json, JsonFields.ReaderOptions);
        var path = new Stack<string>();
        path.Push("$");
        using (var writer = new Utf8JsonWriter(output, _writerOptions))
        {
            string? pending = null;
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.PropertyName:
                        var name = reader.GetString()!;
                        var at = path.Peek() + "." + name;
                        if (drop.Contains(at))
                        {
                            reader.Read();
                            reader.Skip();
                            continue;
                        }

                        writer.WritePropertyName(name);
                        pending = at;
                        continue;
                    case JsonTokenType.StartObject:
                        writer.WriteStartObject();
                        path.Push(Child(path, pending));
                        break;
                    case JsonTokenType.StartArray:
                        writer.WriteStartArray();
                        path.Push(Child(path, pending) + "[]");
                        break;
                    case JsonTokenType.EndObject:
                        writer.WriteEndObject();
                        path.Pop();
                        break;
                    case JsonTokenType.EndArray:
                        writer.WriteEndArray();
                        path.Pop();
                        break;
                    case JsonTokenType.String:
                        writer.WriteStringValue(reader.GetString());
                        break;
                    case JsonTokenType.Number:
                        writer.WriteRawValue(reader.ValueSpan, skipInputValidation: true);
                        break;
                    case JsonTokenType.True:
                        writer.WriteBooleanValue(true);
                        break;
                    case JsonTokenType.False:
                        writer.WriteBooleanValue(false);
                        break;
                    case JsonTokenType.Null:
                        writer.WriteNullValue();
                        break;
                }

                pending = null;
            }
        }

        return output.WrittenSpan.ToArray();
    }

    // A value's path: after a property name, that name's path; inside an array, the array's "[]" path.
    private static string Child(Stack<string> path, string? property) => property ?? path.Peek();
}
