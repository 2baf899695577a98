using System.Buffers.Text;
using System.Text;
using System.Text.Json;

namespace Datacake.Streams.Ingest.Measurements;

/// <summary>
/// The structural check HTTP and MQTT ingest apply to a measurement body before it is stored: one forward pass of a
/// <see cref="Utf8JsonReader"/>, no DOM, no allocation on success. The body itself is stored as it came; processing
/// decodes it. Refusing bad bodies here gives the device a 400 (or a PUBACK reason) instead of a silent dead letter.
/// </summary>
/// <remarks>
/// Accepted shapes (docs/DATA-MODEL.md): an object of values <c>{"temperature":21.5,"on":true}</c>, or an array of
/// entries <c>[{"time":"2026-11-28T10:00:00Z" | 1764324000000, "values":{...}}]</c> with <c>time</c> optional. A value
/// is a number, a boolean, a string of at most 1,024 UTF-8 bytes, an array of numbers, or an object of values; field
/// names are 1-64 characters of <c>[A-Za-z0-9_.-]</c> after flattening with <c>.</c>, objects nest at most 3 levels,
/// and a point has at most 100 fields. Time: RFC 3339 with a zone (<c>Z</c> or an offset), or epoch milliseconds.
/// </remarks>
public static class MeasurementBody
{
    public const int MaxFieldNameLength = 64;
    public const int MaxStringBytes = 1024;
    public const int MaxObjectDepth = 3;
    public const int MaxFieldsPerPoint = 100;

    // Epoch milliseconds that still fit in Unix nanoseconds as a long (year 2262).
    private const long MaxEpochMilliseconds = long.MaxValue / 1_000_000;

    /// <summary>Checks <paramref name="body"/>; never throws.</summary>
    public static MeasurementCheck Check(ReadOnlySpan<byte> body, int maxEntries = 10_000)
    {
        var state = new Walker(body, maxEntries);
        try
        {
            return state.Run();
        }
        catch (JsonException)
        {
            return state.Fail(MeasurementError.MalformedJson, "not well-formed JSON");
        }
    }

    private ref struct Walker
    {
        private readonly ReadOnlySpan<byte> _body;
        private readonly int _maxEntries;
        private Utf8JsonReader _reader;

        // The path to the value being read, kept as offsets into the body so that nothing is allocated until an error.
        private PathSegments _path;
        private int _fields;

        public Walker(ReadOnlySpan<byte> body, int maxEntries)
        {
            _body = body;
            _maxEntries = maxEntries;
            _reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = 16, CommentHandling = JsonCommentHandling.Disallow });
        }

        public MeasurementCheck Run()
        {
            if (!_reader.Read())
            {
                return Fail(MeasurementError.MalformedJson, "empty body");
            }

            MeasurementCheck result;
            if (_reader.TokenType == JsonTokenType.StartObject)
            {
                result = Values(baseNameLength: 0, depth: 1);
                if (!result.IsValid)
                {
                    return result;
                }

                result = MeasurementCheck.Valid(1, null);
            }
            else if (_reader.TokenType == JsonTokenType.StartArray)
            {
                result = Entries();
                if (!result.IsValid)
                {
                    return result;
                }
            }
            else
            {
                return Fail(MeasurementError.WrongShape, "expected an object of values or an array of {time, values} entries");
            }

            if (_reader.Read())
            {
                return Fail(MeasurementError.MalformedJson, "data after the JSON value");
            }

            return result;
        }

        private MeasurementCheck Entries()
        {
            var count = 0;
            long? onlyTime = null;
            while (true)
            {
                Read();
                if (_reader.TokenType == JsonTokenType.EndArray)
                {
                    break;
                }

                _path.PushIndex(count);
                if (++count > _maxEntries)
                {
                    return Fail(MeasurementError.TooManyEntries, $"at most {_maxEntries} entries per message");
                }

                if (_reader.TokenType != JsonTokenType.StartObject)
                {
                    return Fail(MeasurementError.WrongShape, "an entry is an object {time, values}");
                }

                var entry = Entry(out var time);
                if (!entry.IsValid)
                {
                    return entry;
                }

                onlyTime = count == 1 ? time : null;
                _path.Pop();
            }

            if (count == 0)
            {
                return Fail(MeasurementError.WrongShape, "an empty array carries no measurements");
            }

            return MeasurementCheck.Valid(count, onlyTime);
        }

        private MeasurementCheck Entry(out long? timeUnixNs)
        {
            timeUnixNs = null;
            var sawValues = false;
            var sawTime = false;
            while (true)
            {
                Read();
                if (_reader.TokenType == JsonTokenType.EndObject)
                {
                    break;
                }

                var nameStart = NameStart();
                _path.PushName(nameStart, _reader.ValueSpan.Length);
                if (_reader.ValueTextEquals("values"u8) && !sawValues)
                {
                    sawValues = true;
                    Read();
                    if (_reader.TokenType != JsonTokenType.StartObject)
                    {
                        return Fail(MeasurementError.WrongShape, "values is an object of fields");
                    }

                    _fields = 0;
                    var values = Values(baseNameLength: 0, depth: 1);
                    if (!values.IsValid)
                    {
                        return values;
                    }
                }
                else if (_reader.ValueTextEquals("time"u8) && !sawTime)
                {
                    sawTime = true;
                    Read();
                    if (!TryTime(out var parsed))
                    {
                        return Fail(MeasurementError.BadTime, "time is an RFC 3339 string with a zone or epoch milliseconds");
                    }

                    timeUnixNs = parsed;
                }
                else
                {
                    return Fail(MeasurementError.UnknownMember, "an entry has only time and values, each once");
                }

                _path.Pop();
            }

            if (!sawValues)
            {
                return Fail(MeasurementError.WrongShape, "an entry needs values");
            }

            return MeasurementCheck.Valid(1, timeUnixNs);
        }

        /// <summary>Reads an object of values; the reader stands on its StartObject and ends on its EndObject.</summary>
        private MeasurementCheck Values(int baseNameLength, int depth)
        {
            if (depth > MaxObjectDepth)
            {
                return Fail(MeasurementError.TooDeep, $"objects nest at most {MaxObjectDepth} levels");
            }

            var empty = true;
            while (true)
            {
                Read();
                if (_reader.TokenType == JsonTokenType.EndObject)
                {
                    break;
                }

                empty = false;
                var nameStart = NameStart();
                _path.PushName(nameStart, _reader.ValueSpan.Length);
                if (_reader.ValueIsEscaped || !IsFieldName(_reader.ValueSpan))
                {
                    return Fail(MeasurementError.BadFieldName, $"field names are 1-{MaxFieldNameLength} characters of A-Z a-z 0-9 _ . -");
                }

                var nameLength = baseNameLength + (baseNameLength > 0 ? 1 : 0) + _reader.ValueSpan.Length;
                if (nameLength > MaxFieldNameLength)
                {
                    return Fail(MeasurementError.BadFieldName, $"a flattened field name has at most {MaxFieldNameLength} characters");
                }

                Read();
                var value = Value(nameLength, depth);
                if (!value.IsValid)
                {
                    return value;
                }

                _path.Pop();
            }

            if (empty && depth == 1)
            {
                return Fail(MeasurementError.WrongShape, "no values");
            }

            return MeasurementCheck.Valid(1, null);
        }

        private MeasurementCheck Value(int nameLength, int depth)
        {
            switch (_reader.TokenType)
            {
                case JsonTokenType.Number:
                    if (!_reader.TryGetDouble(out var number) || !double.IsFinite(number))
                    {
                        return Fail(MeasurementError.BadValue, "a number must fit a 64-bit float");
                    }

                    return CountField();
                case JsonTokenType.True:
                case JsonTokenType.False:
                    return CountField();
                case JsonTokenType.String:
                    var bytes = _reader.HasValueSequence ? (int)_reader.ValueSequence.Length : _reader.ValueSpan.Length;

                    // The escaped length bounds the unescaped one from above; only long escaped strings need the exact count.
                    if (bytes > MaxStringBytes && (!_reader.ValueIsEscaped || UnescapedLength() > MaxStringBytes))
                    {
                        return Fail(MeasurementError.BadValue, $"a string value has at most {MaxStringBytes} UTF-8 bytes");
                    }

                    return CountField();
                case JsonTokenType.StartObject:
                    return Values(nameLength, depth + 1);
                case JsonTokenType.StartArray:
                    return NumberArray(nameLength);
                default:
                    return Fail(MeasurementError.BadValue, "a value is a number, a boolean, a string, an array of numbers or an object");
            }
        }

        private MeasurementCheck NumberArray(int nameLength)
        {
            var index = 0;
            while (true)
            {
                Read();
                if (_reader.TokenType == JsonTokenType.EndArray)
                {
                    return MeasurementCheck.Valid(1, null);
                }

                _path.PushIndex(index);
                if (nameLength + 1 + DigitCount(index) > MaxFieldNameLength)
                {
                    return Fail(MeasurementError.BadFieldName, $"a flattened field name has at most {MaxFieldNameLength} characters");
                }

                if (_reader.TokenType != JsonTokenType.Number || !_reader.TryGetDouble(out var number) || !double.IsFinite(number))
                {
                    return Fail(MeasurementError.BadValue, "arrays hold numbers only");
                }

                var counted = CountField();
                if (!counted.IsValid)
                {
                    return counted;
                }

                _path.Pop();
                index++;
            }
        }

        private MeasurementCheck CountField() =>
            ++_fields > MaxFieldsPerPoint
                ? Fail(MeasurementError.TooManyFields, $"at most {MaxFieldsPerPoint} fields per point")
                : MeasurementCheck.Valid(1, null);

        private int UnescapedLength()
        {
            Span<byte> scratch = stackalloc byte[MaxStringBytes + 1];
            var length = _reader.ValueSpan.Length;
            if (length <= 6 * (MaxStringBytes + 1) && _reader.ValueSpan.Length > 0)
            {
                // CopyString throws when the destination is too small: that alone says "too long".
                try
                {
                    return _reader.CopyString(scratch);
                }
                catch (ArgumentException)
                {
                    return int.MaxValue;
                }
            }

            return int.MaxValue;
        }

        private bool TryTime(out long unixNs)
        {
            unixNs = 0;
            if (_reader.TokenType == JsonTokenType.Number)
            {
                if (!_reader.TryGetInt64(out var ms) || ms < 0 || ms > MaxEpochMilliseconds)
                {
                    return false;
                }

                unixNs = ms * 1_000_000;
                return true;
            }

            if (_reader.TokenType != JsonTokenType.String || _reader.ValueIsEscaped || _reader.HasValueSequence)
            {
                return false;
            }

            var text = _reader.ValueSpan;

            // RFC 3339 requires a zone; ISO 8601 without one would be read as the server's local time.
            if (text.Length < 20 || !HasZone(text) || !_reader.TryGetDateTimeOffset(out var time))
            {
                return false;
            }

            var ticks = time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
            if (ticks < 0)
            {
                return false;
            }

            unixNs = ticks * 100;
            return true;
        }

        private static bool HasZone(ReadOnlySpan<byte> text)
        {
            var last = text[^1];
            if (last is (byte)'Z' or (byte)'z')
            {
                return true;
            }

            return text.Length >= 6 && text[^3] == (byte)':' && text[^6] is (byte)'+' or (byte)'-';
        }

        private static bool IsFieldName(ReadOnlySpan<byte> name)
        {
            if (name.IsEmpty || name.Length > MaxFieldNameLength)
            {
                return false;
            }

            foreach (var c in name)
            {
                var ok = (uint)((c | 0x20) - 'a') <= 'z' - 'a' || (uint)(c - '0') <= 9 || c is (byte)'_' or (byte)'.' or (byte)'-';
                if (!ok)
                {
                    return false;
                }
            }

            return true;
        }

        private static int DigitCount(int value) => value < 10 ? 1 : value < 100 ? 2 : value < 1000 ? 3 : 4 + (value >= 10_000 ? 1 : 0);

        private readonly int NameStart() => (int)_reader.TokenStartIndex + 1;

        private void Read()
        {
            if (!_reader.Read())
            {
                throw new JsonException("truncated");
            }
        }

        public readonly MeasurementCheck Fail(MeasurementError error, string detail) =>
            MeasurementCheck.Invalid(error, detail, _path.Format(_body));
    }

    /// <summary>Up to 8 path segments (deeper bodies fail before they need more): a name's offsets or an index.</summary>
    private struct PathSegments
    {
        private const int Capacity = 8;
        private SegmentBuffer _segments;
        private int _count;

        public void PushName(int start, int length) => Push(new Segment(start, length, -1));

        public void PushIndex(int index) => Push(new Segment(0, 0, index));

        public void Pop()
        {
            if (_count > 0)
            {
                _count--;
            }
        }

        public readonly string Format(ReadOnlySpan<byte> body)
        {
            var builder = new StringBuilder("$");
            for (var i = 0; i < Math.Min(_count, Capacity); i++)
            {
                var segment = _segments[i];
                if (segment.Index >= 0)
                {
                    builder.Append('[').Append(segment.Index).Append(']');
                }
                else
                {
                    var name = Encoding.UTF8.GetString(body.Slice(segment.Start, Math.Min(segment.Length, 80)));
                    builder.Append('.').Append(name);
                }
            }

            return builder.ToString();
        }

        private void Push(Segment segment)
        {
            if (_count < Capacity)
            {
                _segments[_count] = segment;
            }

            _count++;
        }

        private readonly record struct Segment(int Start, int Length, int Index);

        [System.Runtime.CompilerServices.InlineArray(Capacity)]
        private struct SegmentBuffer
        {
            private Segment _first;
        }
    }
}
