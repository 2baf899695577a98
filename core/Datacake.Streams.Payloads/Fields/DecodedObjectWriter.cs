using System.Globalization;
using System.Text.Json;

namespace Datacake.Streams.Payloads.Fields;

/// <summary>
/// Writes a decoded JSON object (TTS <c>decoded_payload</c>, ChirpStack <c>object</c>, Helium <c>decoded.payload</c>,
/// a JavaScript decoder's result) as fields by the DATA-MODEL.md rules: numbers as floats, booleans, strings up to
/// 1,024 UTF-8 bytes, nested objects flattened with '.' up to 3 levels, arrays of numbers by index, at most 100
/// fields. Anything else fails naming the path. (<see cref="JsonValues.MeasurementBody"/> applies the same rules to
/// the JSON values of HTTP and MQTT ingest, which add time entries this one has no use for.)
/// </summary>
public static class DecodedObjectWriter
{
    public static DecodeResult Write(JsonElement value, IPointSink sink)
    {
        ArgumentNullException.ThrowIfNull(sink);
        if (value.ValueKind != JsonValueKind.Object)
        {
            return DecodeResult.Failed($"decoded payload is {Describe(value.ValueKind)}, not an object");
        }

        var count = 0;
        return WriteObject(value, null, 1, sink, ref count);
    }

    /// <summary>One named value (a <c>{field, value}</c> entry of a Datacake decoder), by the same rules.</summary>
    public static DecodeResult WriteField(string name, JsonElement value, IPointSink sink, ref int count)
    {
        ArgumentNullException.ThrowIfNull(sink);
        if (!FieldRules.IsValidName(name))
        {
            return DecodeResult.Failed($"field name '{Clip(name)}' is not 1-64 characters of [A-Za-z0-9_.-]");
        }

        var depth = 1;
        foreach (var c in name)
        {
            depth += c == '.' ? 1 : 0;
        }

        return WriteValue(value, name, depth, sink, ref count);
    }

    private static DecodeResult WriteObject(JsonElement value, string? prefix, int depth, IPointSink sink, ref int count)
    {
        foreach (var property in value.EnumerateObject())
        {
            var name = prefix is null ? property.Name : prefix + "." + property.Name;
            if (!FieldRules.IsValidName(property.Name) || name.Length > FieldRules.MaxNameLength)
            {
                return DecodeResult.Failed($"field name '{Clip(name)}' is not 1-64 characters of [A-Za-z0-9_.-]");
            }

            var result = WriteValue(property.Value, name, depth, sink, ref count);
            if (!result.Succeeded)
            {
                return result;
            }
        }

        return DecodeResult.Ok;
    }

    private static DecodeResult WriteValue(JsonElement value, string name, int depth, IPointSink sink, ref int count)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                return depth >= FieldRules.MaxDepth
                    ? DecodeResult.Failed($"'{name}' nests deeper than {FieldRules.MaxDepth} levels")
                    : WriteObject(value, name, depth + 1, sink, ref count);
            case JsonValueKind.Array:
                return WriteArray(value, name, sink, ref count);
            case JsonValueKind.Number:
                if (!value.TryGetDouble(out var number) || !double.IsFinite(number))
                {
                    return DecodeResult.Failed($"'{name}' is not a finite number");
                }

                if (++count > FieldRules.MaxFields)
                {
                    return TooMany(name);
                }

                sink.AddNumber(name, number);
                return DecodeResult.Ok;
            case JsonValueKind.True:
            case JsonValueKind.False:
                if (++count > FieldRules.MaxFields)
                {
                    return TooMany(name);
                }

                sink.AddBoolean(name, value.GetBoolean());
                return DecodeResult.Ok;
            case JsonValueKind.String:
                var text = value.GetString()!;
                if (!FieldRules.FitsString(text))
                {
                    return DecodeResult.Failed($"'{name}' is longer than {FieldRules.MaxStringBytes} UTF-8 bytes");
                }

                if (++count > FieldRules.MaxFields)
                {
                    return TooMany(name);
                }

                sink.AddString(name, text);
                return DecodeResult.Ok;
            default:
                return DecodeResult.Failed($"'{name}' is {Describe(value.ValueKind)}");
        }
    }

    private static DecodeResult WriteArray(JsonElement array, string name, IPointSink sink, ref int count)
    {
        var index = 0;
        foreach (var item in array.EnumerateArray())
        {
            var itemName = name + "." + index.ToString(CultureInfo.InvariantCulture);
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetDouble(out var number) || !double.IsFinite(number))
            {
                return DecodeResult.Failed($"'{itemName}': only arrays of numbers are stored");
            }

            if (itemName.Length > FieldRules.MaxNameLength)
            {
                return DecodeResult.Failed($"field name '{Clip(itemName)}' is longer than {FieldRules.MaxNameLength}");
            }

            if (++count > FieldRules.MaxFields)
            {
                return TooMany(itemName);
            }

            sink.AddNumber(itemName, number);
            index++;
        }

        return DecodeResult.Ok;
    }

    private static DecodeResult TooMany(string name) =>
        DecodeResult.Failed($"more than {FieldRules.MaxFields} fields (at '{Clip(name)}')");

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Null => "null",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Object => "an object",
        _ => "missing",
    };

    private static string Clip(string name) => name.Length <= 80 ? name : name[..80] + "…";
}
