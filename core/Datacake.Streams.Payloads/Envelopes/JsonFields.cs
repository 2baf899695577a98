using System.Text.Json;
using Datacake.Streams.Payloads.Time;

namespace Datacake.Streams.Payloads.Envelopes;

/// <summary>
/// Typed reads of the values the parsers extract, with the JSON path in every error. The reader stands on the
/// property name when called; each method moves it to the value.
/// </summary>
internal static class JsonFields
{
    /// <summary>Identifiers that end up in a record's message id are bounded: a 1 KiB id is no one's DevEUI or UUID.</summary>
    public const int MaxIdentifierLength = 256;

    internal static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = 64, CommentHandling = JsonCommentHandling.Disallow };

    public static void ExpectObject(ref Utf8JsonReader reader, string path)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new WebhookFormatException(path, $"expected a JSON object, found {Describe(reader.TokenType)}");
        }
    }

    /// <summary>Reads the root token and checks it opens an object.</summary>
    public static void ReadRootObject(ref Utf8JsonReader reader)
    {
        if (!reader.Read())
        {
            throw new WebhookFormatException("$", "the body is empty");
        }

        ExpectObject(ref reader, "$");
    }

    /// <summary>After the root object: nothing but whitespace may follow.</summary>
    public static void ExpectEnd(ref Utf8JsonReader reader)
    {
        if (reader.Read())
        {
            throw new WebhookFormatException("$", "unexpected content after the JSON object");
        }
    }

    /// <summary>Advances to the next property name of the current object; false at its end.</summary>
    public static bool NextProperty(ref Utf8JsonReader reader)
    {
        reader.Read();
        return reader.TokenType == JsonTokenType.PropertyName;
    }

    public static void Once(ref bool seen, string path)
    {
        if (seen)
        {
            throw new WebhookFormatException(path, "the property appears twice");
        }

        seen = true;
    }

    public static void SkipValue(ref Utf8JsonReader reader)
    {
        reader.Read();
        reader.Skip();
    }

    public static string Identifier(ref Utf8JsonReader reader, string path)
    {
        reader.Read();
        if (reader.TokenType != JsonTokenType.String)
        {
            throw new WebhookFormatException(path, $"expected a string, found {Describe(reader.TokenType)}");
        }

        var text = reader.GetString()!;
        if (text.Length == 0 || text.Length > MaxIdentifierLength)
        {
            throw new WebhookFormatException(path, $"expected 1 to {MaxIdentifierLength} characters, found {text.Length}");
        }

        return text;
    }

    /// <summary>A string of any length (or null), e.g. Particle's event data.</summary>
    public static string? OptionalString(ref Utf8JsonReader reader, string path)
    {
        reader.Read();
        return reader.TokenType switch
        {
            JsonTokenType.String => reader.GetString(),
            JsonTokenType.Null => null,
            _ => throw new WebhookFormatException(path, $"expected a string or null, found {Describe(reader.TokenType)}"),
        };
    }

    /// <summary>An unsigned 32-bit integer: LoRaWAN frame counters are 32 bits on the wire of every network server.</summary>
    public static uint UInt32(ref Utf8JsonReader reader, string path)
    {
        reader.Read();
        if (reader.TokenType != JsonTokenType.Number || !reader.TryGetUInt32(out var value))
        {
            throw new WebhookFormatException(path, $"expected an integer from 0 to {uint.MaxValue}");
        }

        return value;
    }

    public static long Int64(ref Utf8JsonReader reader, string path)
    {
        reader.Read();
        if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out var value))
        {
            throw new WebhookFormatException(path, "expected a 64-bit integer");
        }

        return value;
    }

    /// <summary>An RFC 3339 time as network servers write it, fractions to the nanosecond (<see cref="Rfc3339"/>); Unix nanoseconds.</summary>
    public static long Timestamp(ref Utf8JsonReader reader, string path)
    {
        reader.Read();
        if (reader.TokenType != JsonTokenType.String)
        {
            throw new WebhookFormatException(path, $"expected an RFC 3339 time string, found {Describe(reader.TokenType)}");
        }

        // An escaped time is no network server's: RFC 3339 needs no escapes.
        return !reader.ValueIsEscaped && Rfc3339.TryParseUnixNanoseconds(reader.ValueSpan, out var ns)
            ? ns
            : throw new WebhookFormatException(path, "expected an RFC 3339 time such as 2024-05-01T12:00:00.123456789Z");
    }

    /// <summary>A base64 string (LoRaWAN FRMPayload); only checked, the record keeps the body.</summary>
    public static void Base64(ref Utf8JsonReader reader, string path)
    {
        reader.Read();
        if (reader.TokenType == JsonTokenType.Null)
        {
            return;
        }

        if (reader.TokenType != JsonTokenType.String || reader.ValueIsEscaped || !System.Buffers.Text.Base64.IsValid(reader.ValueSpan))
        {
            throw new WebhookFormatException(path, "expected a base64 string");
        }
    }

    /// <summary>An object or null (decoded payloads); skipped.</summary>
    public static void OptionalObject(ref Utf8JsonReader reader, string path)
    {
        reader.Read();
        if (reader.TokenType == JsonTokenType.Null)
        {
            return;
        }

        ExpectObject(ref reader, path);
        reader.Skip();
    }

    /// <summary>An array or null (rx metadata, hotspots); skipped.</summary>
    public static void OptionalArray(ref Utf8JsonReader reader, string path)
    {
        reader.Read();
        if (reader.TokenType == JsonTokenType.Null)
        {
            return;
        }

        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw new WebhookFormatException(path, $"expected an array, found {Describe(reader.TokenType)}");
        }

        reader.Skip();
    }

    public static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        _ => "nothing",
    };

    /// <summary>Runs <paramref name="parse"/> over <paramref name="body"/>; every failure becomes a Malformed message, nothing escapes.</summary>
    public static WebhookMessage Guard(ReadOnlySpan<byte> body, BodyParser parse)
    {
        try
        {
            var reader = new Utf8JsonReader(body, ReaderOptions);
            return parse(ref reader);
        }
        catch (WebhookFormatException e)
        {
            return WebhookMessage.Malformed(e.Path, e.Message);
        }
        catch (JsonException e)
        {
            return WebhookMessage.Malformed("$", $"invalid JSON at line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}");
        }
        catch (InvalidOperationException)
        {
            // GetString on a string that is not valid UTF-8 after unescaping.
            return WebhookMessage.Malformed("$", "a string is not valid UTF-8");
        }
    }
}

/// <summary>A parser over a reader positioned before the root token.</summary>
internal delegate WebhookMessage BodyParser(ref Utf8JsonReader reader);
