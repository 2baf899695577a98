using System.Buffers;
using System.Text;
using System.Text.Json;
using Datacake.Streams.Influx.LineProtocol;
using Datacake.Streams.Processing.Pipeline;
using Datacake.Streams.Records;

namespace Datacake.Streams.Processing.Values;

/// <summary>
/// Decodes the JSON values of HTTP and MQTT ingest into <c>values</c> points (docs/DATA-MODEL.md): a JSON object of
/// values, or an array of <c>{"time":..., "values":{...}}</c> entries, one point each. Numbers become float fields,
/// booleans boolean fields, strings (at most 1,024 UTF-8 bytes) string fields; nested objects flatten with <c>.</c>
/// at most 3 levels deep, arrays of numbers by index (<c>accel.0</c>); names are 1-64 characters of
/// <c>[A-Za-z0-9_.-]</c>; at most 100 fields per point. Anything else fails with a detail naming the path.
/// </summary>
/// <remarks>
/// Point time: the entry's <c>time</c> (RFC 3339 or epoch milliseconds; in a plain object the top-level
/// <c>time</c> key), else the record's device time, else its receive time: deterministic, so a replay rewrites the
/// same points. Single pass over the bytes with <see cref="Utf8JsonReader"/>; no document is built.
/// </remarks>
public static class JsonValuesDecoder
{
    public const int MaxFields = 100;
    public const int MaxDepth = 3;
    public const int MaxNameLength = 64;
    public const int MaxStringBytes = 1_024;

    // Checked for every field of every record: one vectorised search instead of a test per character.
    private static readonly SearchValues<char> s_nameCharacters =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-");

    [ThreadStatic]
    private static char[]? s_name;

    /// <summary>Writes the points of <paramref name="record"/>; a rejection with <see cref="RejectReason.DecodeFailed"/> otherwise. Never throws.</summary>
    public static Verdict Decode(in RawRecord record, RecordPoints points)
    {
        ArgumentNullException.ThrowIfNull(points);
        var fallbackNs = record.DeviceTimeUnixNs ?? record.ReceivedAtUnixNs;
        var reader = new Utf8JsonReader(record.Payload.Span, new JsonReaderOptions { MaxDepth = 16 });
        // A heap buffer per thread: field names written into line protocol cannot come from the stack of a ref struct call chain.
        Span<char> name = s_name ??= new char[MaxNameLength * 4];
        try
        {
            if (!reader.Read())
            {
                return Fail("the payload is empty");
            }

            string? error;
            if (reader.TokenType == JsonTokenType.StartObject)
            {
                error = DecodePlainObject(ref reader, points, fallbackNs, name);
            }
            else if (reader.TokenType == JsonTokenType.StartArray)
            {
                error = DecodeEntries(ref reader, points, fallbackNs, name);
            }
            else
            {
                error = "the payload must be a JSON object of values or an array of {time, values} entries";
            }

            if (error is null && reader.Read())
            {
                error = "unexpected content after the JSON value";
            }

            return error is null ? Verdict.Accept : Fail(error);
        }
        catch (JsonException e)
        {
            return Fail($"invalid JSON: {e.Message}");
        }
    }

    private static Verdict Fail(string detail) => Verdict.Reject(RejectReason.DecodeFailed, detail);

    private static string? DecodePlainObject(ref Utf8JsonReader reader, RecordPoints points, long fallbackNs, Span<char> name)
    {
        // One pass: the top-level "time" may come after the values, but line protocol writes the time last, so the
        // point is ended with it once the object is read (a first pass to find it cost ~30% of the decode).
        var point = points.Values();
        var fields = 0;
        var timeNs = fallbackNs;
        if (WriteObject(ref reader, ref point, name, 0, 1, ref fields, ref timeNs, topLevel: true) is { } error)
        {
            return error;
        }

        if (fields == 0)
        {
            return "the object holds no values";
        }

        point.End(timeNs);
        return null;
    }

    private static string? DecodeEntries(ref Utf8JsonReader reader, RecordPoints points, long fallbackNs, Span<char> name)
    {
        var index = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                return $"[{index}]: an entry must be an object {{time, values}}";
            }

            // One pass: the values are written as they come and the point ended with the entry's time, wherever
            // "time" stands (before: the values were skipped, then read again once the time was known).
            var timeNs = fallbackNs;
            var point = default(PointBuilder);
            var hasValues = false;
            var fields = 0;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("time"u8))
                {
                    reader.Read();
                    if (ReadTime(ref reader, out timeNs) is { } timeError)
                    {
                        return $"[{index}].{timeError}";
                    }
                }
                else if (reader.ValueTextEquals("values"u8))
                {
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.StartObject)
                    {
                        return $"[{index}].values: must be an object";
                    }

                    if (hasValues)
                    {
                        return $"[{index}].values: given twice";
                    }

                    hasValues = true;
                    point = points.Values();
                    var unused = 0L;
                    if (WriteObject(ref reader, ref point, name, 0, 1, ref fields, ref unused, topLevel: false) is { } error)
                    {
                        return $"[{index}].values.{error}";
                    }
                }
                else
                {
                    return $"[{index}].{reader.GetString()}: unexpected key (an entry holds time and values)";
                }
            }

            if (!hasValues)
            {
                return $"[{index}]: the entry has no values";
            }

            if (fields == 0)
            {
                return $"[{index}].values: holds no values";
            }

            point.End(timeNs);
            index++;
        }

        return index == 0 ? "the array holds no entries" : null;
    }

    private static string? ReadTime(ref Utf8JsonReader reader, out long unixNs)
    {
        unixNs = 0;
        if (reader.TokenType == JsonTokenType.String)
        {
            if (reader.TryGetDateTimeOffset(out var time))
            {
                unixNs = (time - DateTimeOffset.UnixEpoch).Ticks * 100;
                return null;
            }

            return "time: not an RFC 3339 timestamp";
        }

        // Epoch milliseconds; ±292 years around 1970 fit in Unix nanoseconds.
        if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var ms) && ms is > -9_223_372_036_854 and < 9_223_372_036_854)
        {
            unixNs = ms * 1_000_000;
            return null;
        }

        return "time: must be an RFC 3339 string or epoch milliseconds";
    }

    /// <summary>
    /// Writes the members of the object the reader is on; returns the failing path, or null. In the top-level object
    /// of a plain payload (<paramref name="topLevel"/>) a <c>time</c> key is the point's time, read into
    /// <paramref name="timeNs"/> (the last one wins), not a field.
    /// </summary>
    private static string? WriteObject(ref Utf8JsonReader reader, ref PointBuilder point, Span<char> name, int prefix, int depth, ref int fields, ref long timeNs, bool topLevel)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (topLevel && reader.ValueTextEquals("time"u8))
            {
                reader.Read();
                // Only a string or a number is a time, so there is nothing to skip after one.
                if (ReadTime(ref reader, out timeNs) is { } timeError)
                {
                    return timeError;
                }

                continue;
            }

            var start = prefix == 0 ? 0 : prefix + 1;
            if (reader.ValueSpan.Length > name.Length - start)
            {
                return $"{Path(name, prefix)}: name longer than {MaxNameLength} characters";
            }

            if (prefix > 0)
            {
                name[prefix] = '.';
            }

            var length = start + reader.CopyString(name[start..]);
            if (NameError(name[start..length]) is { } nameError)
            {
                return $"{Path(name, length)}: {nameError}";
            }

            if (length > MaxNameLength)
            {
                return $"{Path(name, length)}: name longer than {MaxNameLength} characters";
            }

            reader.Read();
            if (WriteValue(ref reader, ref point, name, length, depth, ref fields) is { } error)
            {
                return error;
            }
        }

        return null;
    }

    private static string? WriteValue(ref Utf8JsonReader reader, ref PointBuilder point, Span<char> name, int length, int depth, ref int fields)
    {
        var field = name[..length];
        switch (reader.TokenType)
        {
            case JsonTokenType.Number:
                if (++fields > MaxFields)
                {
                    return $"{Path(name, length)}: more than {MaxFields} fields";
                }

                // Sensor values are short decimals: written as they came (finite for sure: no exponent, ≤ 32 bytes),
                // which saves a parse and a format per value (~9% of the pipeline's CPU in its profile). Exponents and
                // long numbers are parsed, checked for range and formatted.
                if (!reader.HasValueSequence && LineProtocolWriter.IsPlainDecimal(reader.ValueSpan))
                {
                    point.FieldDecimal(field, reader.ValueSpan);
                    return null;
                }

                if (!reader.TryGetDouble(out var number) || !double.IsFinite(number))
                {
                    return $"{Path(name, length)}: number out of range";
                }

                point.Field(field, number);
                return null;
            case JsonTokenType.True or JsonTokenType.False:
                if (++fields > MaxFields)
                {
                    return $"{Path(name, length)}: more than {MaxFields} fields";
                }

                point.Field(field, reader.TokenType == JsonTokenType.True);
                return null;
            case JsonTokenType.String:
                var text = reader.GetString()!;
                if (Encoding.UTF8.GetByteCount(text) > MaxStringBytes)
                {
                    return $"{Path(name, length)}: string longer than {MaxStringBytes} UTF-8 bytes";
                }

                if (++fields > MaxFields)
                {
                    return $"{Path(name, length)}: more than {MaxFields} fields";
                }

                point.Field(field, text);
                return null;
            case JsonTokenType.StartObject:
                if (depth >= MaxDepth)
                {
                    return $"{Path(name, length)}: nested deeper than {MaxDepth} levels";
                }

                var unused = 0L;
                return WriteObject(ref reader, ref point, name, length, depth + 1, ref fields, ref unused, topLevel: false);
            case JsonTokenType.StartArray:
                if (depth >= MaxDepth)
                {
                    return $"{Path(name, length)}: nested deeper than {MaxDepth} levels";
                }

                return WriteNumberArray(ref reader, ref point, name, length, ref fields);
            case JsonTokenType.Null:
                return $"{Path(name, length)}: null is not a value";
            default:
                return $"{Path(name, length)}: unexpected {reader.TokenType}";
        }
    }

    private static string? WriteNumberArray(ref Utf8JsonReader reader, ref PointBuilder point, Span<char> name, int prefix, ref int fields)
    {
        var index = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            name[prefix] = '.';
            index.TryFormat(name[(prefix + 1)..], out var digits);
            var length = prefix + 1 + digits;
            if (reader.TokenType != JsonTokenType.Number)
            {
                return $"{Path(name, length)}: arrays may hold numbers only";
            }

            if (length > MaxNameLength)
            {
                return $"{Path(name, length)}: name longer than {MaxNameLength} characters";
            }

            if (WriteValue(ref reader, ref point, name, length, MaxDepth, ref fields) is { } error)
            {
                return error;
            }

            index++;
        }

        return null;
    }

    private static string? NameError(ReadOnlySpan<char> segment)
    {
        if (segment.IsEmpty)
        {
            return "empty name";
        }

        var bad = segment.IndexOfAnyExcept(s_nameCharacters);
        return bad < 0 ? null : $"character '{segment[bad]}' not allowed in a name (use A-Z a-z 0-9 _ . -)";
    }

    private static string Path(ReadOnlySpan<char> name, int length) => length == 0 ? "(root)" : name[..Math.Min(length, name.Length)].ToString();
}
