using System.Buffers.Text;
using System.Globalization;
using System.Text;
using System.Text.Unicode;
using Datacake.Streams.Ids;
using Datacake.Streams.LineProtocol;
using Datacake.Streams.Payloads.Fields;
using Datacake.Streams.Payloads.Time;

namespace Datacake.Streams.Ingest.InfluxWrite;

/// <summary>
/// A line-protocol body turned into JSON values entries for one device (the payload every HTTP and MQTT record
/// carries, so processing decodes it as it decodes theirs), line by line: a line that cannot be parsed or stored is
/// refused with its reason, the others are kept.
/// </summary>
/// <remarks>
/// <para>The virtual schema (docs/INGEST.md "InfluxDB line protocol"): one measurement, <c>measurements</c>. A line
/// of measurement <c>measurements</c> keeps its field names; one of measurement M stores field f as <c>M_f</c>. A tag
/// <c>device</c> or <c>device_id</c> must name the token's device and is not stored (the point is the device's). Any
/// other tag k is stored as the string field <c>M_k</c> (<c>k</c> for <c>measurements</c>) of the same point, so
/// Telegraf's <c>host</c> is kept, not dropped. Because the device keeps one point per time, two lines of one request
/// with the same measurement and time but other tag values (Telegraf's per-CPU lines) would merge into one point: the
/// later one is refused instead, with that reason.</para>
/// <para>Every time is written explicitly: a line without one takes the request's receive time, as InfluxDB gives
/// it the server's time, so a replayed record rewrites the same points.</para>
/// <para>Per line the work is spans over the body and the pooled output; an allocation happens only for a refused
/// line's message (at most <see cref="MaxListedErrors"/> kept) and the per-request map of measurement and time.</para>
/// </remarks>
internal sealed class LineProtocolTranslation : IDisposable
{
    /// <summary>Refusals spelled out in the answer; the rest are counted. InfluxDB lists them all, but a 5,000-line
    /// batch of one repeated mistake is 5,000 copies of one message.</summary>
    public const int MaxListedErrors = 10;

    /// <summary>A quoted line is cut here in a message (InfluxDB quotes it whole).</summary>
    public const int MaxQuotedLineBytes = 200;

    /// <summary>Every number is stored as a 64-bit float; integers beyond 2^53 would silently change.</summary>
    private const long MaxExactInteger = 1L << 53;

    private const int MaxNameBytes = FieldRules.MaxNameLength;
    private const long NanosPerMillisecond = 1_000_000;

    // The UTF-8 of InfluxApiSchema's names (a u8 literal cannot name a const); checked equal in the unit tests.
    internal static ReadOnlySpan<byte> VirtualMeasurement => "measurements"u8;

    internal static ReadOnlySpan<byte> DeviceTag => "device"u8;

    internal static ReadOnlySpan<byte> DeviceIdTag => "device_id"u8;

    private readonly Dictionary<(long Time, int Measurement), int> _pointTags = [];
    private readonly List<string> _messages = [];
    private readonly byte[] _device = new byte[DeviceId.TextLength];
    private readonly long _nanosPerUnit;
    private readonly long _receivedAtUnixNs;
    private readonly int _chunkBytes;
    private readonly int _chunkEntries;

    public LineProtocolTranslation(DeviceId device, long nanosPerUnit, long receivedAtUnixNs, int chunkBytes, int chunkEntries, int bodyLength)
    {
        Span<char> text = stackalloc char[DeviceId.TextLength];
        device.TryFormat(text, out _);
        Encoding.ASCII.GetBytes(text, _device);
        _nanosPerUnit = nanosPerUnit;
        _receivedAtUnixNs = receivedAtUnixNs;
        _chunkBytes = chunkBytes;
        _chunkEntries = chunkEntries;

        // JSON values spell a point in about 1.5 times its line-protocol bytes (time as RFC 3339, quoted names).
        Chunks = new JsonValuesChunks(bodyLength + (bodyLength / 2));
    }

    public JsonValuesChunks Chunks { get; }

    /// <summary>Lines kept (entries in <see cref="Chunks"/>).</summary>
    public int Accepted { get; private set; }

    /// <summary>Lines that are not line protocol (InfluxDB's <c>unable to parse</c>; not in its <c>dropped</c> count).</summary>
    public int Unparsed { get; private set; }

    /// <summary>Lines that parse but cannot be stored (InfluxDB's <c>dropped=N</c>).</summary>
    public int Dropped { get; private set; }

    /// <summary>The first <see cref="MaxListedErrors"/> refusals, as InfluxDB words them.</summary>
    public IReadOnlyList<string> Messages => _messages;

    public void Translate(ReadOnlySpan<byte> body)
    {
        var batch = new LineProtocolBatch(body);
        while (batch.TryNext(out var line))
        {
            var syntax = LineProtocolPoint.TryParse(line, out var point);
            if (syntax != LineProtocolSyntaxError.None)
            {
                Unparsed++;
                Note(line, "unable to parse", LineProtocolSyntax.Describe(syntax));
                continue;
            }

            var mark = Chunks.Mark;
            var refusal = TryWrite(point);
            if (refusal is not null)
            {
                Chunks.Rewind(mark);
                Dropped++;
                Note(line, "unable to store", refusal);
                continue;
            }

            if (Chunks.Mark - mark > _chunkBytes)
            {
                Chunks.Rewind(mark);
                Dropped++;
                Note(line, "unable to store", "point too large for one record");
                continue;
            }

            Chunks.EndEntry();
            Accepted++;
            if (Chunks.OpenEntries >= _chunkEntries || Chunks.OpenBytes >= _chunkBytes)
            {
                Chunks.CloseChunk();
            }
        }

        Chunks.CloseChunk();
    }

    public void Dispose() => Chunks.Dispose();

    private void Note(ReadOnlySpan<byte> line, string what, string reason)
    {
        if (_messages.Count < MaxListedErrors)
        {
            var quoted = line.Length <= MaxQuotedLineBytes ? line : line[..MaxQuotedLineBytes];
            _messages.Add($"{what} '{Encoding.UTF8.GetString(quoted)}{(quoted.Length < line.Length ? "..." : string.Empty)}': {reason}");
        }
    }

    /// <summary>Writes the point as one entry; the reason when it cannot be stored (the caller rewinds).</summary>
    private string? TryWrite(in LineProtocolPoint point)
    {
        var timeNs = _receivedAtUnixNs;
        if (point.HasTimestamp && (!LineProtocolPrecision.TryToNanoseconds(point.Timestamp, _nanosPerUnit, out timeNs) || timeNs is < 0 or > Rfc3339.MaxUnixNanoseconds))
        {
            return "time before 1970 or after 2262-04-11 (a point time is a Unix time in nanoseconds)";
        }

        Span<byte> prefix = stackalloc byte[MaxNameBytes + 1];
        var prefixLength = 0;
        if (!point.Measurement.SequenceEqual(VirtualMeasurement))
        {
            if (point.Measurement.Length > 2 * MaxNameBytes)
            {
                return "measurement name too long: fields are stored as <measurement>_<field>, at most 64 characters";
            }

            Span<byte> measurement = stackalloc byte[2 * MaxNameBytes];
            prefixLength = LineProtocolEscapes.UnescapeName(point.Measurement, measurement, measurement: true);
            if (prefixLength >= MaxNameBytes)
            {
                return "measurement name too long: fields are stored as <measurement>_<field>, at most 64 characters";
            }

            measurement[..prefixLength].CopyTo(prefix);
            prefix[prefixLength++] = (byte)'_';
        }

        Chunks.BeginEntry();
        Chunks.Append("{\"time\":"u8);
        if (timeNs % NanosPerMillisecond == 0)
        {
            // Whole milliseconds (precision=ms, s, ...: what Telegraf and most clients send) as an epoch number: 13
            // digits instead of a 32-byte RFC 3339 string, and a cheaper read for processing.
            Utf8Formatter.TryFormat(timeNs / NanosPerMillisecond, Chunks.Free(20), out var millisLength);
            Chunks.Advance(millisLength);
        }
        else
        {
            Chunks.Append((byte)'"');
            Rfc3339.TryFormatUnixNanoseconds(timeNs, Chunks.Free(Rfc3339.FormattedLength), out var timeLength);
            Chunks.Advance(timeLength);
            Chunks.Append((byte)'"');
        }

        Chunks.Append(",\"values\":{"u8);

        // Offsets of the names written so far in this entry, to refuse a name given twice (which would keep only one).
        Span<int> names = stackalloc int[2 * FieldRules.MaxFields];
        var count = 0;
        var tagSet = 0;
        foreach (var tag in point.Tags)
        {
            if (tag.Key.SequenceEqual(DeviceTag) || tag.Key.SequenceEqual(DeviceIdTag))
            {
                if (!tag.Value.SequenceEqual(_device))
                {
                    return $"tag {Encoding.UTF8.GetString(tag.Key)} names another device than the token's (it must be the token's device id, or left out)";
                }

                continue;
            }

            if (count == FieldRules.MaxFields)
            {
                return "more than 100 fields and tags (each tag other than device is stored as a string field)";
            }

            var refused = WriteName(prefix[..prefixLength], tag.Key, names, ref count, count > 0) ?? WriteText(tag.Value, name: true);
            if (refused is not null)
            {
                return refused;
            }

            // Order-independent: InfluxDB sorts tags, so "a=1,b=2" and "b=2,a=1" are one series.
            tagSet = unchecked(tagSet + HashCode.Combine(Hash(tag.Key), Hash(tag.Value)));
        }

        foreach (var field in point.Fields)
        {
            if (count == FieldRules.MaxFields)
            {
                return "more than 100 fields and tags (each tag other than device is stored as a string field)";
            }

            var refused = WriteName(prefix[..prefixLength], field.Key, names, ref count, count > 0) ?? WriteValue(field);
            if (refused is not null)
            {
                return refused;
            }
        }

        Chunks.Append("}}"u8);

        var key = (timeNs, Hash(point.Measurement));
        if (_pointTags.TryGetValue(key, out var earlier))
        {
            if (earlier != tagSet)
            {
                return "another line of this request has this measurement and time with other tags: the device keeps one point per time, so they would merge (put the tag into the measurement name, or send the lines with distinct times)";
            }
        }
        else
        {
            _pointTags.Add(key, tagSet);
        }

        return null;
    }

    private string? WriteName(ReadOnlySpan<byte> prefix, ReadOnlySpan<byte> escapedKey, Span<int> names, ref int count, bool comma)
    {
        if (escapedKey.Length > 2 * MaxNameBytes)
        {
            return "field or tag name longer than 64 characters";
        }

        Span<byte> key = stackalloc byte[2 * MaxNameBytes];
        var keyLength = LineProtocolEscapes.UnescapeName(escapedKey, key);
        var length = prefix.Length + keyLength;
        if (length > MaxNameBytes)
        {
            return $"field name '{Encoding.UTF8.GetString(prefix)}{Encoding.UTF8.GetString(key[..keyLength])}' longer than 64 characters";
        }

        if (comma)
        {
            Chunks.Append((byte)',');
        }

        Chunks.Append((byte)'"');
        var start = Chunks.Mark;
        var span = Chunks.Free(length);
        prefix.CopyTo(span);
        key[..keyLength].CopyTo(span[prefix.Length..]);
        if (!FieldRules.IsValidName(span[..length]))
        {
            return $"field name '{Encoding.UTF8.GetString(span[..length])}' is not 1-64 characters of [A-Za-z0-9_.-]";
        }

        var name = span[..length];
        for (var i = 0; i < count; i++)
        {
            if (Chunks.Written(names[2 * i], names[(2 * i) + 1]).SequenceEqual(name))
            {
                return $"field '{Encoding.UTF8.GetString(name)}' given twice (a tag is stored as a field of its name)";
            }
        }

        Chunks.Advance(length);
        names[2 * count] = start;
        names[(2 * count) + 1] = length;
        count++;
        Chunks.Append("\":"u8);
        return null;
    }

    private string? WriteValue(in LineProtocolField field)
    {
        switch (field.Kind)
        {
            case LineProtocolFieldKind.String:
                return WriteText(field.Value, name: false);
            case LineProtocolFieldKind.Boolean:
                Chunks.Append(field.Boolean ? "true"u8 : "false"u8);
                return null;
            case LineProtocolFieldKind.Integer:
                var integer = field.Integer;
                if (integer is > MaxExactInteger or < -MaxExactInteger)
                {
                    return "integer beyond ±2^53: every number is stored as a 64-bit float, which would change it";
                }

                Utf8Formatter.TryFormat(integer, Chunks.Free(20), out var integerLength);
                Chunks.Advance(integerLength);
                return null;
            case LineProtocolFieldKind.Unsigned:
                var unsigned = field.Unsigned;
                if (unsigned > MaxExactInteger)
                {
                    return "integer beyond 2^53: every number is stored as a 64-bit float, which would change it";
                }

                Utf8Formatter.TryFormat(unsigned, Chunks.Free(20), out var unsignedLength);
                Chunks.Advance(unsignedLength);
                return null;
            default:
                // "R": the shortest text that reads back as the same double; JSON takes its "1E+20" form.
                field.Float.TryFormat(Chunks.Free(32), out var floatLength, "R", CultureInfo.InvariantCulture);
                Chunks.Advance(floatLength);
                return null;
        }
    }

    /// <summary>A string field value (escaped as in a string field) or a tag value (escaped as a name) as a JSON string.</summary>
    private string? WriteText(ReadOnlySpan<byte> escaped, bool name)
    {
        if (escaped.Length > 2 * FieldRules.MaxStringBytes)
        {
            return "string longer than 1,024 bytes";
        }

        Span<byte> text = stackalloc byte[2 * FieldRules.MaxStringBytes];
        var length = name ? LineProtocolEscapes.UnescapeName(escaped, text) : LineProtocolEscapes.UnescapeString(escaped, text);
        text = text[..length];
        if (length > FieldRules.MaxStringBytes)
        {
            return "string longer than 1,024 bytes";
        }

        if (!Utf8.IsValid(text))
        {
            return "string is not valid UTF-8";
        }

        var output = Chunks.Free((6 * length) + 2);
        var written = 0;
        output[written++] = (byte)'"';
        foreach (var b in text)
        {
            if (b is (byte)'"' or (byte)'\\')
            {
                output[written++] = (byte)'\\';
                output[written++] = b;
            }
            else if (b < 0x20)
            {
                "\\u00"u8.CopyTo(output[written..]);
                output[written + 4] = HexDigit(b >> 4);
                output[written + 5] = HexDigit(b & 0xF);
                written += 6;
            }
            else
            {
                output[written++] = b;
            }
        }

        output[written++] = (byte)'"';
        Chunks.Advance(written);
        return null;
    }

    private static byte HexDigit(int value) => (byte)(value < 10 ? '0' + value : 'a' + value - 10);

    private static int Hash(ReadOnlySpan<byte> bytes)
    {
        var hash = default(HashCode);
        hash.AddBytes(bytes);
        return hash.ToHashCode();
    }
}
