using System.Text.Json;

namespace Datacake.Streams.Ingest.Bridge;

/// <summary>
/// An RFC 6901 JSON pointer (<c>/end_device_ids/dev_eui</c>, <c>/readings/0/id</c>), evaluated on a payload to find
/// the text that names a message's device.
/// </summary>
public sealed class JsonPointer
{
    // Payloads are at most a few hundred KiB and the pointer names a shallow field; JSON nested deeper is not a sensor message.
    private static readonly JsonDocumentOptions _documentOptions = new() { MaxDepth = 64 };

    private readonly string[] _tokens;

    private JsonPointer(string text, string[] tokens)
    {
        Text = text;
        _tokens = tokens;
    }

    public string Text { get; }

    /// <summary>Parses a pointer to a member (not the whole document): it starts with '/', '~' only as <c>~0</c> or <c>~1</c>.</summary>
    public static bool TryParse(string? text, out JsonPointer? pointer, out string? error)
    {
        pointer = null;
        if (string.IsNullOrEmpty(text) || text[0] != '/')
        {
            error = "a JSON pointer starts with '/' (RFC 6901), e.g. /end_device_ids/dev_eui";
            return false;
        }

        var raw = text[1..].Split('/');
        var tokens = new string[raw.Length];
        for (var i = 0; i < raw.Length; i++)
        {
            var token = raw[i];
            for (var c = token.IndexOf('~', StringComparison.Ordinal); c >= 0; c = token.IndexOf('~', c + 1))
            {
                if (c + 1 >= token.Length || (token[c + 1] != '0' && token[c + 1] != '1'))
                {
                    error = $"JSON pointer '{text}': '~' must be followed by 0 or 1";
                    return false;
                }
            }

            // Order matters (RFC 6901 section 4): "~01" is "~1", not "/".
            tokens[i] = token.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);
        }

        error = null;
        pointer = new JsonPointer(text, tokens);
        return true;
    }

    /// <summary>
    /// The string at the pointer, or a number's JSON text; false when the payload is not JSON, the pointer leads
    /// nowhere, or to an object, array, boolean, null or empty string. Never throws.
    /// </summary>
    public bool TryEvaluate(ReadOnlyMemory<byte> json, out string? value)
    {
        value = null;
        try
        {
            using var document = JsonDocument.Parse(json, _documentOptions);
            var element = document.RootElement;
            foreach (var token in _tokens)
            {
                if (!TryStep(element, token, out element))
                {
                    return false;
                }
            }

            value = element.ValueKind switch
            {
                JsonValueKind.String => element.GetString(),
                JsonValueKind.Number => element.GetRawText(),
                _ => null,
            };
            if (string.IsNullOrEmpty(value))
            {
                value = null;
                return false;
            }

            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    public override string ToString() => Text;

    private static bool TryStep(JsonElement element, string token, out JsonElement next)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                return element.TryGetProperty(token, out next);
            case JsonValueKind.Array:
                // RFC 6901: an array index is "0" or digits without a leading zero.
                if (token.Length > 0 && token.Length <= 9 && token.All(char.IsAsciiDigit) && (token.Length == 1 || token[0] != '0'))
                {
                    var index = int.Parse(token, System.Globalization.CultureInfo.InvariantCulture);
                    if (index < element.GetArrayLength())
                    {
                        next = element[index];
                        return true;
                    }
                }

                break;
        }

        next = default;
        return false;
    }
}
