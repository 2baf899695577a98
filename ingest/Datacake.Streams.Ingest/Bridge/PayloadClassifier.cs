using System.Text.Json;

namespace Datacake.Streams.Ingest.Bridge;

/// <summary>Tells JSON values (docs/DATA-MODEL.md: an object of values, or an array of entries) from device bytes.</summary>
public static class PayloadClassifier
{
    /// <summary>
    /// True when <paramref name="payload"/> is one well-formed JSON document whose root is an object, or an array of
    /// objects. Whether its fields are valid measurements is the processors' check (they dead-letter with the path).
    /// </summary>
    public static bool IsJsonValues(ReadOnlySpan<byte> payload)
    {
        // Binary device payloads (CayenneLPP and the like) almost never start with '{' or '[': skip the parser for them.
        var start = 0;
        while (start < payload.Length && payload[start] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
        {
            start++;
        }

        if (start == payload.Length || payload[start] is not ((byte)'{' or (byte)'['))
        {
            return false;
        }

        var reader = new Utf8JsonReader(payload, new JsonReaderOptions { MaxDepth = 64 });
        try
        {
            if (!reader.Read())
            {
                return false;
            }

            var isArray = reader.TokenType == JsonTokenType.StartArray;
            while (reader.Read())
            {
                if (isArray && reader.CurrentDepth == 1 && reader.TokenType is not (JsonTokenType.StartObject or JsonTokenType.EndObject))
                {
                    return false;
                }
            }

            // The reader has checked that every token is well formed and the document complete.
            return reader.BytesConsumed == payload.Length || IsWhitespace(payload[(int)reader.BytesConsumed..]);
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static bool IsWhitespace(ReadOnlySpan<byte> rest)
    {
        foreach (var b in rest)
        {
            if (b is not ((byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n'))
            {
                return false;
            }
        }

        return true;
    }
}
