using System.Text;
using System.Text.Json;
using Datacake.Streams.Payloads.Fields;
using Datacake.Streams.Payloads.Time;

namespace Datacake.Streams.Payloads.JsonValues;

public static partial class MeasurementBody
{
    // A JSON number without an exponent and of at most this many bytes is below 1e300: finite as a double without
    // parsing it (sensor values are short decimals; parsing each cost ~9% of the pipeline's CPU in its profile).
    private const int MaxUnparsedNumberBytes = 300;

    private ref struct Walker<TSink>
        where TSink : IMeasurementSink, allows ref struct
    {
        private readonly ReadOnlySpan<byte> _body;
        private readonly int _maxEntries;
        private readonly char[] _name;
        private readonly char[] _text;

        // Not readonly: a sink is a mutable struct (processing's holds the point being written), and calls on a
        // readonly field would each go to a defensive copy.
        [System.Diagnostics.CodeAnalysis.SuppressMessage("Style", "IDE0044:Add readonly modifier", Justification = "mutable struct sink")]
        private TSink _sink;

        private Utf8JsonReader _reader;

        // The path to the value being read, kept as offsets into the body so that nothing is allocated until an error.
        private PathSegments _path;
        private int _fields;

        public Walker(ReadOnlySpan<byte> body, TSink sink, int maxEntries, char[] name, char[] text)
        {
            _body = body;
            _sink = sink;
            _maxEntries = maxEntries;
            _name = name;
            _text = text;
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
                result = PlainObject();
            }
            else if (_reader.TokenType == JsonTokenType.StartArray)
            {
                result = Entries();
            }
            else
            {
                return Fail(MeasurementError.WrongShape, "expected an object of values or an array of {time, values} entries");
            }

            if (result.IsValid && _reader.Read())
            {
                return Fail(MeasurementError.MalformedJson, "data after the JSON value");
            }

            return result;
        }

        /// <summary>One point; a top-level <c>time</c> times it, wherever it stands (line protocol writes the time last).</summary>
        private MeasurementCheck PlainObject()
        {
            _sink.BeginPoint();
            _fields = 0;
            long? time = null;
            var values = Values(baseNameLength: 0, depth: 1, ref time, topLevel: true);
            if (!values.IsValid)
            {
                return values;
            }

            if (_fields == 0)
            {
                return Fail(MeasurementError.WrongShape, "no values");
            }

            _sink.EndPoint(time);
            return MeasurementCheck.Valid(1, time);
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

        /// <summary>One point, written as its values come and ended with its time, before or after them.</summary>
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

                _path.PushName(NameStart(), _reader.ValueSpan.Length);
                if (_reader.ValueTextEquals("values"u8) && !sawValues)
                {
                    sawValues = true;
                    Read();
                    if (_reader.TokenType != JsonTokenType.StartObject)
                    {
                        return Fail(MeasurementError.WrongShape, "values is an object of fields");
                    }

                    _sink.BeginPoint();
                    _fields = 0;
                    long? unused = null;
                    var values = Values(baseNameLength: 0, depth: 1, ref unused, topLevel: false);
                    if (!values.IsValid)
                    {
                        return values;
                    }

                    if (_fields == 0)
                    {
                        return Fail(MeasurementError.WrongShape, "no values");
                    }
                }
                else if (_reader.ValueTextEquals("time"u8) && !sawTime)
                {
                    sawTime = true;
                    Read();
                    if (!TryTime(out var parsed))
                    {
                        return Fail(MeasurementError.BadTime, TimeRule);
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

            _sink.EndPoint(timeUnixNs);
            return MeasurementCheck.Valid(1, timeUnixNs);
        }

        /// <summary>Reads an object of values; the reader stands on its StartObject and ends on its EndObject.</summary>
        private MeasurementCheck Values(int baseNameLength, int depth, ref long? time, bool topLevel)
        {
            while (true)
            {
                Read();
                if (_reader.TokenType == JsonTokenType.EndObject)
                {
                    return MeasurementCheck.Valid(1, null);
                }

                _path.PushName(NameStart(), _reader.ValueSpan.Length);
                if (topLevel && _reader.ValueTextEquals("time"u8))
                {
                    if (time is not null)
                    {
                        return Fail(MeasurementError.UnknownMember, "time appears twice");
                    }

                    Read();
                    if (!TryTime(out var parsed))
                    {
                        return Fail(MeasurementError.BadTime, TimeRule);
                    }

                    time = parsed;
                    _path.Pop();
                    continue;
                }

                var segment = _reader.ValueSpan;
                if (_reader.ValueIsEscaped || !FieldRules.IsValidName(segment))
                {
                    return Fail(MeasurementError.BadFieldName, $"field names are 1-{FieldRules.MaxNameLength} characters of A-Z a-z 0-9 _ . -");
                }

                var start = baseNameLength == 0 ? 0 : baseNameLength + 1;
                var nameLength = start + segment.Length;
                if (nameLength > FieldRules.MaxNameLength)
                {
                    return Fail(MeasurementError.BadFieldName, $"a flattened field name has at most {FieldRules.MaxNameLength} characters");
                }

                if (baseNameLength > 0)
                {
                    _name[baseNameLength] = '.';
                }

                // Valid names are ASCII: widening is the whole transcoding.
                Ascii.ToUtf16(segment, _name.AsSpan(start), out _);
                Read();
                var value = Value(nameLength, depth);
                if (!value.IsValid)
                {
                    return value;
                }

                _path.Pop();
            }
        }

        private MeasurementCheck Value(int nameLength, int depth)
        {
            var field = _name.AsSpan(0, nameLength);
            switch (_reader.TokenType)
            {
                case JsonTokenType.Number:
                    if (!IsFiniteNumber())
                    {
                        return Fail(MeasurementError.BadValue, "a number must fit a 64-bit float");
                    }

                    if (!CountField())
                    {
                        return TooManyFields();
                    }

                    _sink.Number(field, _reader.ValueSpan);
                    return MeasurementCheck.Valid(1, null);
                case JsonTokenType.True:
                case JsonTokenType.False:
                    if (!CountField())
                    {
                        return TooManyFields();
                    }

                    _sink.Boolean(field, _reader.TokenType == JsonTokenType.True);
                    return MeasurementCheck.Valid(1, null);
                case JsonTokenType.String:
                    return String(field);
                case JsonTokenType.StartObject:
                    if (depth >= FieldRules.MaxDepth)
                    {
                        return Fail(MeasurementError.TooDeep, $"objects and arrays nest at most {FieldRules.MaxDepth} levels");
                    }

                    long? unused = null;
                    return Values(nameLength, depth + 1, ref unused, topLevel: false);
                case JsonTokenType.StartArray:
                    if (depth >= FieldRules.MaxDepth)
                    {
                        return Fail(MeasurementError.TooDeep, $"objects and arrays nest at most {FieldRules.MaxDepth} levels");
                    }

                    return NumberArray(nameLength);
                default:
                    return Fail(MeasurementError.BadValue, "a value is a number, a boolean, a string, an array of numbers or an object");
            }
        }

        private MeasurementCheck String(ReadOnlySpan<char> field)
        {
            var escapedLength = _reader.ValueSpan.Length;
            if (!_reader.ValueIsEscaped && escapedLength > FieldRules.MaxStringBytes)
            {
                return StringTooLong();
            }

            int length;
            try
            {
                length = _reader.CopyString(_text);
            }
            catch (ArgumentException)
            {
                // More than 1,024 characters: more than 1,024 UTF-8 bytes.
                return StringTooLong();
            }
            catch (InvalidOperationException)
            {
                return Fail(MeasurementError.BadValue, "a string must be valid UTF-8 (no lone surrogates)");
            }

            var text = _text.AsSpan(0, length);

            // Unescaping only shrinks: only a long escaped string can still be too long.
            if (escapedLength > FieldRules.MaxStringBytes && Encoding.UTF8.GetByteCount(text) > FieldRules.MaxStringBytes)
            {
                return StringTooLong();
            }

            if (!CountField())
            {
                return TooManyFields();
            }

            _sink.Text(field, text);
            return MeasurementCheck.Valid(1, null);
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
                _name[nameLength] = '.';
                index.TryFormat(_name.AsSpan(nameLength + 1), out var digits);
                var length = nameLength + 1 + digits;
                if (length > FieldRules.MaxNameLength)
                {
                    return Fail(MeasurementError.BadFieldName, $"a flattened field name has at most {FieldRules.MaxNameLength} characters");
                }

                if (_reader.TokenType != JsonTokenType.Number || !IsFiniteNumber())
                {
                    return Fail(MeasurementError.BadValue, "arrays hold numbers only, each fitting a 64-bit float");
                }

                if (!CountField())
                {
                    return TooManyFields();
                }

                _sink.Number(_name.AsSpan(0, length), _reader.ValueSpan);
                _path.Pop();
                index++;
            }
        }

        private readonly bool IsFiniteNumber()
        {
            var text = _reader.ValueSpan;
            return (text.Length <= MaxUnparsedNumberBytes && !text.ContainsAny((byte)'e', (byte)'E'))
                || (_reader.TryGetDouble(out var number) && double.IsFinite(number));
        }

        private bool CountField() => ++_fields <= FieldRules.MaxFields;

        private readonly MeasurementCheck TooManyFields() =>
            Fail(MeasurementError.TooManyFields, $"at most {FieldRules.MaxFields} fields per point");

        private readonly MeasurementCheck StringTooLong() =>
            Fail(MeasurementError.BadValue, $"a string value has at most {FieldRules.MaxStringBytes} UTF-8 bytes");

        private readonly bool TryTime(out long unixNs)
        {
            unixNs = 0;
            return _reader.TokenType switch
            {
                JsonTokenType.Number => _reader.TryGetInt64(out var ms) && EpochMilliseconds.TryToUnixNanoseconds(ms, out unixNs),
                JsonTokenType.String => !_reader.ValueIsEscaped && Rfc3339.TryParseUnixNanoseconds(_reader.ValueSpan, out unixNs),
                _ => false,
            };
        }

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

    private const string TimeRule = "time is an RFC 3339 string with a zone or epoch milliseconds, from 1970 on";
}
