using System.Buffers;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Datacake.Streams.Influx.LineProtocol;

/// <summary>
/// Writes InfluxDB line protocol into an <see cref="IBufferWriter{T}"/>, one point per line:
/// <c>measurement[,tag=value...] field=value[,field=value...] [timestamp-ns]\n</c>.
/// </summary>
/// <remarks>
/// Escaping (InfluxDB 1.x): measurement escapes comma and space; tag keys, tag values and field keys escape
/// comma, equals sign and space; string field values escape double quote and backslash and may hold raw
/// newlines (the server's line scanner skips newlines inside quotes; checked on 1.6.7). Newlines and other
/// control characters in names are refused, never escaped: line protocol has no escape for them, and the
/// <c>\n</c> that InfluxDB.Client writes would be stored as a literal backslash and 'n'.
/// Every element is validated before any of its bytes is written. A line is handed to the output (Advance) when it
/// ends; on a <see cref="LineProtocolException"/> the line so far is not in the output, except the part of a line
/// that outgrew its first span, which the caller must discard. Over an
/// <see cref="InfluxPointBatch"/> that happens by itself: the unfinished line never becomes part of the batch.
/// Fields are written in call order; InfluxDB does not need them sorted. Tags sorted by key save the server
/// a sort, so callers with several tags should add them in ordinal key order.
/// </remarks>
public ref struct LineProtocolWriter
{
    // Longest shortest-round-trip double is "-1.7976931348623157E+308" (24 bytes); a long is 20 + sign.
    private const int MaxNumberBytes = 32;

    // One GetSpan per line instead of a GetSpan/Advance interface-call pair per element (8 pairs for a point with a
    // device tag and five fields, ~130 bytes); a line longer than this takes the slow path (Grow).
    private const int LineSizeHint = 256;

    private readonly IBufferWriter<byte> _output;
    private readonly InfluxPointBatch? _batch;

    // Room for the current line from one GetSpan, and how much of it the line has filled. Advanced when the line
    // ends, so a line refused half way leaves nothing behind (unless it outgrew the first span).
    private Span<byte> _line;
    private int _filled;
    private LineState _state;

    public LineProtocolWriter(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        _output = output;
        _batch = output as InfluxPointBatch;
        _line = default;
        _filled = 0;
        _state = LineState.Idle;
    }

    /// <summary>Starts a new line. The previous line must have been ended with <see cref="Timestamp"/> or <see cref="EndLine"/>.</summary>
    public void Measurement(ReadOnlySpan<char> name)
    {
        if (_state != LineState.Idle)
        {
            ThrowOutOfOrder("measurement", "the previous line was not ended");
        }

        int length = LineProtocolText.MeasureName(name, NameKind.Measurement);
        StartLine(length);
        _filled = LineProtocolText.WriteName(name, NameKind.Measurement, length, _line);
        _state = LineState.Tags;
    }

    /// <summary>Starts a new line with a pre-escaped measurement name.</summary>
    public void Measurement(LineProtocolName name)
    {
        if (_state != LineState.Idle)
        {
            ThrowOutOfOrder("measurement", "the previous line was not ended");
        }

        var escaped = Checked(name, NameKind.Measurement);
        StartLine(escaped.Length);
        escaped.CopyTo(_line);
        _filled = escaped.Length;
        _state = LineState.Tags;
    }

    /// <summary>Adds a tag from pre-escaped key and value (the <c>device</c> tag of every point).</summary>
    public void Tag(LineProtocolName key, LineProtocolName value)
    {
        if (_state != LineState.Tags)
        {
            ThrowOutOfOrder("tag key", _state == LineState.Idle ? "no measurement was written" : "fields were already written");
        }

        var escapedKey = Checked(key, NameKind.TagKey);
        var escapedValue = Checked(value, NameKind.TagValue);
        Span<byte> span = Reserve(escapedKey.Length + escapedValue.Length + 2);
        span[0] = (byte)',';
        escapedKey.CopyTo(span[1..]);
        int written = 1 + escapedKey.Length;
        span[written++] = (byte)'=';
        escapedValue.CopyTo(span[written..]);
        _filled += written + escapedValue.Length;
    }

    /// <summary>A float field under a pre-escaped key; see <see cref="Field(ReadOnlySpan{char}, double)"/>.</summary>
    public void Field(LineProtocolName key, double value)
    {
        if (!double.IsFinite(value))
        {
            LineProtocolText.ThrowInvalid(LineProtocolError.NonFiniteFloat, "field value", $"is {value.ToString(CultureInfo.InvariantCulture)}, which InfluxDB cannot store");
        }

        var escaped = CheckedFieldKey(key);
        Span<byte> span = Reserve(escaped.Length + 2 + MaxNumberBytes);
        int written = WriteFieldKey(escaped, span);
        Commit(written + FloatFormatter.Format(value, ref Unsafe.Add(ref MemoryMarshal.GetReference(span), written)));
    }

    /// <summary>An integer field under a pre-escaped key.</summary>
    public void Field(LineProtocolName key, long value)
    {
        var escaped = CheckedFieldKey(key);
        Span<byte> span = Reserve(escaped.Length + 3 + MaxNumberBytes);
        int written = WriteFieldKey(escaped, span);
        written += DecimalDigits.Write(value, ref Unsafe.Add(ref MemoryMarshal.GetReference(span), written));
        span[written++] = (byte)'i';
        Commit(written);
    }

    /// <summary>A boolean field under a pre-escaped key.</summary>
    public void Field(LineProtocolName key, bool value)
    {
        var escaped = CheckedFieldKey(key);
        Span<byte> span = Reserve(escaped.Length + 2 + 5);
        int written = WriteFieldKey(escaped, span);
        ReadOnlySpan<byte> text = value ? "true"u8 : "false"u8;
        text.CopyTo(span[written..]);
        Commit(written + text.Length);
    }

    /// <summary>A string field under a pre-escaped key.</summary>
    public void Field(LineProtocolName key, ReadOnlySpan<char> value)
    {
        var escaped = CheckedFieldKey(key);
        int valueLength = LineProtocolText.MeasureString(value);
        Span<byte> span = Reserve(escaped.Length + valueLength + 4);
        int written = WriteFieldKey(escaped, span);
        span[written++] = (byte)'"';
        written += LineProtocolText.WriteString(value, span[written..]);
        span[written++] = (byte)'"';
        Commit(written);
    }

    /// <summary>Adds a tag; tags come after the measurement and before the first field.</summary>
    public void Tag(ReadOnlySpan<char> key, ReadOnlySpan<char> value)
    {
        if (_state != LineState.Tags)
        {
            ThrowOutOfOrder("tag key", _state == LineState.Idle ? "no measurement was written" : "fields were already written");
        }

        int keyLength = LineProtocolText.MeasureName(key, NameKind.TagKey);
        int valueLength = LineProtocolText.MeasureName(value, NameKind.TagValue);
        Span<byte> span = Reserve(keyLength + valueLength + 2);
        span[0] = (byte)',';
        int written = 1 + LineProtocolText.WriteName(key, NameKind.TagKey, keyLength, span[1..]);
        span[written++] = (byte)'=';
        written += LineProtocolText.WriteName(value, NameKind.TagValue, valueLength, span[written..]);
        _filled += written;
    }

    /// <summary>An integer field, written with InfluxDB's <c>i</c> suffix.</summary>
    public void Field(ReadOnlySpan<char> key, long value)
    {
        int keyLength = MeasureFieldKey(key);
        Span<byte> span = Reserve(keyLength + 3 + MaxNumberBytes);
        int written = WriteFieldKey(key, keyLength, span);
        written += DecimalDigits.Write(value, ref Unsafe.Add(ref MemoryMarshal.GetReference(span), written));
        span[written++] = (byte)'i';
        Commit(written);
    }

    /// <summary>
    /// A float field in .NET's shortest round-trip form ("R" precision, e.g. <c>0.1</c>, <c>1E+20</c>,
    /// <c>5E-324</c>): InfluxDB's number scanner accepts the exponent form, and integral values such as
    /// <c>1</c> stay floats because they carry no <c>i</c> suffix.
    /// </summary>
    public void Field(ReadOnlySpan<char> key, double value)
    {
        if (!double.IsFinite(value))
        {
            LineProtocolText.ThrowInvalid(LineProtocolError.NonFiniteFloat, "field value", $"is {value.ToString(CultureInfo.InvariantCulture)}, which InfluxDB cannot store");
        }

        int keyLength = MeasureFieldKey(key);
        Span<byte> span = Reserve(keyLength + 2 + MaxNumberBytes);
        int written = WriteFieldKey(key, keyLength, span);
        Commit(written + FloatFormatter.Format(value, ref Unsafe.Add(ref MemoryMarshal.GetReference(span), written)));
    }

    /// <summary>
    /// A float field written as the decimal text it came in (a JSON number without exponent, such as <c>-21.5</c> or
    /// <c>1013</c>), which InfluxDB parses to the same double that parsing and reformatting it would give: the JSON
    /// decoder skips a parse and a format per value. Only <c>-</c>, digits and one <c>.</c>, a digit first and last
    /// (after the sign), at most 32 bytes; anything else throws, so no text can break the line.
    /// </summary>
    public void FieldDecimal(ReadOnlySpan<char> key, ReadOnlySpan<byte> decimalText)
    {
        if (!IsPlainDecimal(decimalText))
        {
            LineProtocolText.ThrowInvalid(LineProtocolError.NotPlainDecimal, "field value", "is not a plain decimal number of at most 32 bytes");
        }

        int keyLength = MeasureFieldKey(key);
        Span<byte> span = Reserve(keyLength + 2 + MaxNumberBytes);
        int written = WriteFieldKey(key, keyLength, span);
        decimalText.CopyTo(span[written..]);
        Commit(written + decimalText.Length);
    }

    /// <summary>True for <c>-?[0-9]+(\.[0-9]+)?</c> of at most 32 bytes: text <see cref="FieldDecimal"/> writes as it is.</summary>
    public static bool IsPlainDecimal(ReadOnlySpan<byte> text)
    {
        var digits = text.Length > 0 && text[0] == (byte)'-' ? text[1..] : text;
        if (text.Length > MaxNumberBytes || digits.IsEmpty || !char.IsAsciiDigit((char)digits[0]) || !char.IsAsciiDigit((char)digits[^1]))
        {
            return false;
        }

        var dot = digits.IndexOfAnyExceptInRange((byte)'0', (byte)'9');
        return dot < 0 || (digits[dot] == (byte)'.' && digits[(dot + 1)..].IndexOfAnyExceptInRange((byte)'0', (byte)'9') < 0);
    }

    public void Field(ReadOnlySpan<char> key, bool value)
    {
        int keyLength = MeasureFieldKey(key);
        Span<byte> span = Reserve(keyLength + 2 + 5);
        int written = WriteFieldKey(key, keyLength, span);
        ReadOnlySpan<byte> text = value ? "true"u8 : "false"u8;
        text.CopyTo(span[written..]);
        Commit(written + text.Length);
    }

    /// <summary>A string field; <c>"</c> and <c>\</c> are escaped, newlines are kept as they are.</summary>
    public void Field(ReadOnlySpan<char> key, ReadOnlySpan<char> value)
    {
        int keyLength = MeasureFieldKey(key);
        int valueLength = LineProtocolText.MeasureString(value);
        Span<byte> span = Reserve(keyLength + valueLength + 4);
        int written = WriteFieldKey(key, keyLength, span);
        span[written++] = (byte)'"';
        written += LineProtocolText.WriteString(value, span[written..]);
        span[written++] = (byte)'"';
        Commit(written);
    }

    /// <summary>Ends the line with a timestamp in nanoseconds since the Unix epoch (write with <c>precision=ns</c>).</summary>
    public void Timestamp(long unixNanoseconds)
    {
        RequireFields("timestamp");
        Span<byte> span = Reserve(MaxNumberBytes);
        span[0] = (byte)' ';
        int digits = DecimalDigits.Write(unixNanoseconds, ref Unsafe.Add(ref MemoryMarshal.GetReference(span), 1));
        span[digits + 1] = (byte)'\n';
        EndOfLine(digits + 2);
    }

    /// <summary>Ends the line without a timestamp: the server stamps it on arrival, so a replay would not rewrite it.</summary>
    public void EndLine()
    {
        RequireFields("end of line");
        Reserve(1)[0] = (byte)'\n';
        EndOfLine(1);
    }

    private readonly int MeasureFieldKey(ReadOnlySpan<char> key)
    {
        if (_state == LineState.Idle)
        {
            ThrowOutOfOrder("field key", "no measurement was written");
        }

        return LineProtocolText.MeasureName(key, NameKind.FieldKey);
    }

    private readonly int WriteFieldKey(ReadOnlySpan<char> key, int keyLength, Span<byte> span)
    {
        span[0] = _state == LineState.Fields ? (byte)',' : (byte)' ';
        int written = 1 + LineProtocolText.WriteName(key, NameKind.FieldKey, keyLength, span[1..]);
        span[written] = (byte)'=';
        return written + 1;
    }

    private readonly ReadOnlySpan<byte> CheckedFieldKey(LineProtocolName key)
    {
        if (_state == LineState.Idle)
        {
            ThrowOutOfOrder("field key", "no measurement was written");
        }

        return Checked(key, NameKind.FieldKey);
    }

    private readonly int WriteFieldKey(ReadOnlySpan<byte> escapedKey, Span<byte> span)
    {
        span[0] = _state == LineState.Fields ? (byte)',' : (byte)' ';
        escapedKey.CopyTo(span[1..]);
        span[escapedKey.Length + 1] = (byte)'=';
        return escapedKey.Length + 2;
    }

    // Tag keys and field keys escape the same characters, so one name serves both; a measurement or tag value
    // escapes differently and is refused where a key is expected.
    private static ReadOnlySpan<byte> Checked(LineProtocolName name, NameKind expected)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Kind != expected && !(IsKey(name.Kind) && IsKey(expected)))
        {
            ThrowWrongKind(name, expected);
        }

        return name.Escaped;
    }

    private static bool IsKey(NameKind kind) => kind is NameKind.TagKey or NameKind.FieldKey;

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void ThrowWrongKind(LineProtocolName name, NameKind expected) =>
        throw new ArgumentException($"'{name.Text}' was escaped as a {name.Kind}, not as a {expected}.", nameof(name));

    private void Commit(int written)
    {
        _filled += written;
        _state = LineState.Fields;
    }

    private void StartLine(int measurementLength)
    {
        _batch?.OnLineStarted();
        _line = _output.GetSpan(Math.Max(measurementLength, LineSizeHint));
        _filled = 0;
    }

    /// <summary>The unfilled room of the current line, at least <paramref name="size"/> bytes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Span<byte> Reserve(int size)
    {
        if (size > _line.Length - _filled)
        {
            Grow(size);
        }

        return _line[_filled..];
    }

    // A line longer than the first span (long strings, many fields): hand over what it has so far, ask for more.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Grow(int size)
    {
        _output.Advance(_filled);
        _filled = 0;
        _line = _output.GetSpan(Math.Max(size, LineSizeHint));
    }

    private readonly void RequireFields(string element)
    {
        if (_state != LineState.Fields)
        {
            ThrowOutOfOrder(element, "a line needs at least one field");
        }
    }

    private void EndOfLine(int written)
    {
        _output.Advance(_filled + written);
        _line = default;
        _filled = 0;
        _state = LineState.Idle;
        _batch?.OnLineEnded();
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void ThrowOutOfOrder(string element, string problem) =>
        throw new LineProtocolException(LineProtocolError.OutOfOrder, element, $"Cannot write the {element}: {problem}.");

    private enum LineState : byte
    {
        Idle,
        Tags,
        Fields,
    }
}
