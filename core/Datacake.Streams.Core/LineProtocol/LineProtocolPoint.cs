using System.Buffers.Text;
using System.Globalization;

namespace Datacake.Streams.LineProtocol;

/// <summary>
/// One line of InfluxDB line protocol taken apart and checked: <c>measurement[,tag=value...] field=value[,...] [time]</c>.
/// Views over the line's bytes, names still escaped (<see cref="LineProtocolEscapes"/> unescapes into a caller's
/// buffer): parsing allocates nothing.
/// </summary>
/// <remarks>
/// <para>The grammar is InfluxDB 1.x's (models/points.go): names escape <c>,</c>, <c>=</c> and space with a backslash
/// (measurements <c>,</c> and space), a backslash before anything else is itself; string field values escape <c>"</c>
/// and <c>\</c>; integers end in <c>i</c> (64-bit signed), unsigned integers in <c>u</c> (64-bit), booleans are
/// <c>t T true True TRUE f F false False FALSE</c>, anything else must be a finite float; the optional time is a signed
/// 64-bit integer in the request's precision.</para>
/// <para>Every value is checked here, so <see cref="Fields"/> and <see cref="Tags"/> enumerate without failing.</para>
/// </remarks>
public readonly ref struct LineProtocolPoint
{
    private LineProtocolPoint(ReadOnlySpan<byte> measurement, ReadOnlySpan<byte> tags, ReadOnlySpan<byte> fields, bool hasTimestamp, long timestamp)
    {
        Measurement = measurement;
        TagSection = tags;
        FieldSection = fields;
        HasTimestamp = hasTimestamp;
        Timestamp = timestamp;
    }

    /// <summary>The measurement, escaped.</summary>
    public ReadOnlySpan<byte> Measurement { get; }

    /// <summary><c>k=v,k2=v2</c> as written (escaped), empty without tags.</summary>
    public ReadOnlySpan<byte> TagSection { get; }

    /// <summary><c>f=1,g="x"</c> as written.</summary>
    public ReadOnlySpan<byte> FieldSection { get; }

    public bool HasTimestamp { get; }

    /// <summary>The time as written, in the request's precision (meaningful when <see cref="HasTimestamp"/>).</summary>
    public long Timestamp { get; }

    public LineProtocolTags Tags => new(TagSection);

    public LineProtocolFields Fields => new(FieldSection);

    /// <summary>Parses one point line (as <see cref="LineProtocolBatch"/> cuts them); never throws.</summary>
    public static LineProtocolSyntaxError TryParse(ReadOnlySpan<byte> line, out LineProtocolPoint point)
    {
        point = default;
        var i = ScanName(line, 0, stopAtEquals: false);
        if (i == 0)
        {
            return LineProtocolSyntaxError.MissingMeasurement;
        }

        var measurement = line[..i];
        var tagStart = i + 1;
        var tagEnd = tagStart;
        if (i < line.Length && line[i] == (byte)',')
        {
            var error = ScanTags(line, ref i);
            if (error != LineProtocolSyntaxError.None)
            {
                return error;
            }

            tagEnd = i;
        }

        // i is at the space after the measurement or tags, or at the end.
        while (i < line.Length && line[i] == (byte)' ')
        {
            i++;
        }

        if (i >= line.Length)
        {
            return LineProtocolSyntaxError.MissingFields;
        }

        var fieldStart = i;
        var fieldError = ScanFields(line, ref i);
        if (fieldError != LineProtocolSyntaxError.None)
        {
            return fieldError;
        }

        var fields = line[fieldStart..i];
        var rest = line[i..].Trim((byte)' ');
        long timestamp = 0;
        if (!rest.IsEmpty && !TryTimestamp(rest, out timestamp))
        {
            return LineProtocolSyntaxError.BadTimestamp;
        }

        point = new LineProtocolPoint(measurement, tagEnd > tagStart ? line[tagStart..tagEnd] : default, fields, !rest.IsEmpty, timestamp);
        return LineProtocolSyntaxError.None;
    }

    /// <summary>Index of the first unescaped ',' or ' ' (or '=' when asked) at or after <paramref name="i"/>.</summary>
    internal static int ScanName(ReadOnlySpan<byte> line, int i, bool stopAtEquals)
    {
        while (i < line.Length)
        {
            var b = line[i];
            if (b == (byte)'\\' && i + 1 < line.Length)
            {
                i += 2;
                continue;
            }

            if (b is (byte)',' or (byte)' ' || (stopAtEquals && b == (byte)'='))
            {
                return i;
            }

            i++;
        }

        return line.Length;
    }

    private static LineProtocolSyntaxError ScanTags(ReadOnlySpan<byte> line, ref int i)
    {
        while (i < line.Length && line[i] == (byte)',')
        {
            var keyStart = i + 1;
            var keyEnd = ScanName(line, keyStart, stopAtEquals: true);
            if (keyEnd == keyStart)
            {
                return keyEnd < line.Length && line[keyEnd] == (byte)'=' ? LineProtocolSyntaxError.MissingTagKey : LineProtocolSyntaxError.MissingTagValue;
            }

            if (keyEnd >= line.Length || line[keyEnd] != (byte)'=')
            {
                return LineProtocolSyntaxError.MissingTagValue;
            }

            var valueStart = keyEnd + 1;
            var valueEnd = ScanName(line, valueStart, stopAtEquals: true);
            if (valueEnd < line.Length && line[valueEnd] == (byte)'=')
            {
                return LineProtocolSyntaxError.InvalidTagFormat;
            }

            if (valueEnd == valueStart)
            {
                return LineProtocolSyntaxError.MissingTagValue;
            }

            i = valueEnd;
        }

        return i >= line.Length ? LineProtocolSyntaxError.MissingFields : LineProtocolSyntaxError.None;
    }

    private static LineProtocolSyntaxError ScanFields(ReadOnlySpan<byte> line, ref int i)
    {
        while (true)
        {
            var keyStart = i;
            var keyEnd = ScanName(line, keyStart, stopAtEquals: true);
            if (keyEnd >= line.Length || line[keyEnd] != (byte)'=')
            {
                return keyEnd == keyStart ? LineProtocolSyntaxError.MissingFieldKey : LineProtocolSyntaxError.InvalidFieldFormat;
            }

            if (keyEnd == keyStart)
            {
                return LineProtocolSyntaxError.MissingFieldKey;
            }

            var valueStart = keyEnd + 1;
            var valueEnd = ValueEnd(line, valueStart);
            if (valueEnd < 0)
            {
                return LineProtocolSyntaxError.UnbalancedQuotes;
            }

            if (valueEnd == valueStart)
            {
                return LineProtocolSyntaxError.MissingFieldValue;
            }

            var error = CheckValue(line[valueStart..valueEnd]);
            if (error != LineProtocolSyntaxError.None)
            {
                return error;
            }

            i = valueEnd;
            if (i >= line.Length || line[i] == (byte)' ')
            {
                return LineProtocolSyntaxError.None;
            }

            if (line[i] != (byte)',')
            {
                return LineProtocolSyntaxError.InvalidFieldFormat;
            }

            i++;
        }
    }

    /// <summary>End of the field value starting at <paramref name="start"/> (past the closing quote of a string); -1 for an unclosed string.</summary>
    internal static int ValueEnd(ReadOnlySpan<byte> line, int start)
    {
        if (start < line.Length && line[start] == (byte)'"')
        {
            var i = start + 1;
            while (i < line.Length)
            {
                var b = line[i];
                if (b == (byte)'\\' && i + 1 < line.Length)
                {
                    i += 2;
                    continue;
                }

                if (b == (byte)'"')
                {
                    return i + 1;
                }

                i++;
            }

            return -1;
        }

        var end = line[start..].IndexOfAny((byte)',', (byte)' ');
        return end < 0 ? line.Length : start + end;
    }

    private static LineProtocolSyntaxError CheckValue(ReadOnlySpan<byte> value)
    {
        switch (LineProtocolField.KindOf(value))
        {
            case LineProtocolFieldKind.String:
                // A closing quote followed by more than a separator ("a"b) is no value InfluxDB knows.
                return value.Length >= 2 && value[^1] == (byte)'"' ? LineProtocolSyntaxError.None : LineProtocolSyntaxError.InvalidFieldFormat;
            case LineProtocolFieldKind.Boolean:
                return LineProtocolField.TryBoolean(value, out _) ? LineProtocolSyntaxError.None : LineProtocolSyntaxError.InvalidBoolean;
            case LineProtocolFieldKind.Integer:
                return IsInteger(value[..^1], signed: true) && Utf8Parser.TryParse(value[..^1], out long _, out var used) && used == value.Length - 1
                    ? LineProtocolSyntaxError.None
                    : LineProtocolSyntaxError.InvalidNumber;
            case LineProtocolFieldKind.Unsigned:
                return IsInteger(value[..^1], signed: false) && Utf8Parser.TryParse(value[..^1], out ulong _, out var usedUnsigned) && usedUnsigned == value.Length - 1
                    ? LineProtocolSyntaxError.None
                    : LineProtocolSyntaxError.InvalidNumber;
            default:
                return IsFloat(value) && double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number)
                    ? LineProtocolSyntaxError.None
                    : LineProtocolSyntaxError.InvalidNumber;
        }
    }

    private static bool IsInteger(ReadOnlySpan<byte> digits, bool signed)
    {
        if (signed && !digits.IsEmpty && digits[0] == (byte)'-')
        {
            digits = digits[1..];
        }

        return !digits.IsEmpty && !digits.ContainsAnyExceptInRange((byte)'0', (byte)'9');
    }

    /// <summary><c>-?(digits[.digits*] | .digits)([eE][+-]?digits)?</c>: no blanks, signs or words double.Parse would also take.</summary>
    private static bool IsFloat(ReadOnlySpan<byte> value)
    {
        var i = 0;
        if (value[0] == (byte)'-')
        {
            i++;
        }

        var digits = 0;
        while (i < value.Length && char.IsAsciiDigit((char)value[i]))
        {
            i++;
            digits++;
        }

        if (i < value.Length && value[i] == (byte)'.')
        {
            i++;
            while (i < value.Length && char.IsAsciiDigit((char)value[i]))
            {
                i++;
                digits++;
            }
        }

        if (digits == 0)
        {
            return false;
        }

        if (i < value.Length && value[i] is (byte)'e' or (byte)'E')
        {
            i++;
            if (i < value.Length && value[i] is (byte)'+' or (byte)'-')
            {
                i++;
            }

            var exponent = 0;
            while (i < value.Length && char.IsAsciiDigit((char)value[i]))
            {
                i++;
                exponent++;
            }

            if (exponent == 0)
            {
                return false;
            }
        }

        return i == value.Length;
    }

    private static bool TryTimestamp(ReadOnlySpan<byte> text, out long timestamp)
    {
        timestamp = 0;
        return IsInteger(text, signed: true) && Utf8Parser.TryParse(text, out timestamp, out var used) && used == text.Length;
    }
}
