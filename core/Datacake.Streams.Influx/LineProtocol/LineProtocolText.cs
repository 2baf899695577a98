using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace Datacake.Streams.Influx.LineProtocol;

/// <summary>
/// Escaping of names and string values, in two passes: measure (and validate) then write, so that a refused
/// element leaves no byte behind. Pure printable ASCII without specials, the common case for device ids and
/// field names, takes a vectorized fast path.
/// </summary>
internal static class LineProtocolText
{
    // Printable ASCII that needs no escape in any name position. Measurements could also keep '=' raw, but
    // one set keeps the fast path simple; the slow path knows the difference.
    private static readonly SearchValues<char> s_plainNameChars = SearchValues.Create(
        "!#$%&'()*+-./0123456789:;<>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]^_`abcdefghijklmnopqrstuvwxyz{|}~\"");

    private static readonly SearchValues<char> s_stringSpecials = SearchValues.Create("\"\\");

    // Throws on lone surrogates instead of writing U+FFFD: a silently altered name would be a different series.
    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Escaped UTF-8 length of a name; throws <see cref="LineProtocolException"/> if it cannot be written.</summary>
    public static int MeasureName(ReadOnlySpan<char> name, NameKind kind)
    {
        if (name.IsEmpty)
        {
            ThrowInvalid(LineProtocolError.EmptyName, kind, "is empty");
        }

        if (kind == NameKind.Measurement && name[0] == '#')
        {
            ThrowInvalid(LineProtocolError.CommentMeasurement, kind, "starts with '#', which InfluxDB reads as a comment line");
        }

        int firstSpecial = name.IndexOfAnyExcept(s_plainNameChars);
        return firstSpecial < 0 ? name.Length : MeasureNameSlow(name, kind, firstSpecial);
    }

    /// <summary>Writes a name measured by <see cref="MeasureName"/>; <paramref name="destination"/> must hold the measured length.</summary>
    public static int WriteName(ReadOnlySpan<char> name, NameKind kind, int measuredLength, Span<byte> destination)
    {
        // Every escape or non-ASCII char makes the measured length exceed the char count, so equal
        // lengths mean plain ASCII (a plain backslash included) that copies byte for byte.
        if (measuredLength == name.Length)
        {
            Ascii.FromUtf16(name, destination, out int written);
            return written;
        }

        return WriteNameSlow(name, kind, destination);
    }

    /// <summary>UTF-8 length of a string field value between its quotes, escapes included.</summary>
    public static int MeasureString(ReadOnlySpan<char> value)
    {
        int length;
        try
        {
            length = s_strictUtf8.GetByteCount(value);
        }
        catch (EncoderFallbackException)
        {
            ThrowInvalid(LineProtocolError.InvalidUnicode, "field value", "is not valid UTF-16 (lone surrogate)");
            throw;
        }

        int special = value.IndexOfAny(s_stringSpecials);
        if (special >= 0)
        {
            length += value[special..].Count('"') + value[special..].Count('\\');
        }

        return length;
    }

    /// <summary>Writes a string field value (without its quotes) with '"' and '\' escaped.</summary>
    public static int WriteString(ReadOnlySpan<char> value, Span<byte> destination)
    {
        int written = 0;
        while (true)
        {
            int special = value.IndexOfAny(s_stringSpecials);
            ReadOnlySpan<char> run = special < 0 ? value : value[..special];
            written += s_strictUtf8.GetBytes(run, destination[written..]);
            if (special < 0)
            {
                return written;
            }

            destination[written++] = (byte)'\\';
            destination[written++] = (byte)value[special];
            value = value[(special + 1)..];
        }
    }

    private static int MeasureNameSlow(ReadOnlySpan<char> name, NameKind kind, int start)
    {
        int length = start;
        for (int i = start; i < name.Length; i++)
        {
            char c = name[i];
            if (c < 0x80)
            {
                if (c < 0x20 || c == 0x7F)
                {
                    ThrowInvalid(LineProtocolError.ControlCharacter, kind, $"holds control character U+{(int)c:X4} at index {i}");
                }

                if (c == '\\' && !IsPlainAfterBackslash(name, i + 1))
                {
                    ThrowInvalid(LineProtocolError.AmbiguousBackslash, kind, $"has a backslash at index {i} that InfluxDB would read as an escape");
                }

                length += NeedsEscape(c, kind) ? 2 : 1;
            }
            else if (c < 0x800)
            {
                length += 2;
            }
            else if (char.IsHighSurrogate(c) && i + 1 < name.Length && char.IsLowSurrogate(name[i + 1]))
            {
                length += 4;
                i++;
            }
            else if (char.IsSurrogate(c))
            {
                ThrowInvalid(LineProtocolError.InvalidUnicode, kind, $"has a lone surrogate at index {i}");
            }
            else
            {
                length += 3;
            }
        }

        return length;
    }

    private static int WriteNameSlow(ReadOnlySpan<char> name, NameKind kind, Span<byte> destination)
    {
        int written = 0;
        int runStart = 0;
        for (int i = 0; i < name.Length; i++)
        {
            char c = name[i];
            if (c < 0x80 && NeedsEscape(c, kind))
            {
                written += s_strictUtf8.GetBytes(name[runStart..i], destination[written..]);
                destination[written++] = (byte)'\\';
                destination[written++] = (byte)c;
                runStart = i + 1;
            }
        }

        written += s_strictUtf8.GetBytes(name[runStart..], destination[written..]);
        return written;
    }

    private static bool NeedsEscape(char c, NameKind kind) =>
        c == ',' || c == ' ' || (c == '=' && kind != NameKind.Measurement);

    private static bool IsPlainAfterBackslash(ReadOnlySpan<char> name, int next) =>
        next < name.Length && name[next] is not ('\\' or ',' or '=' or ' ' or '"');

    [DoesNotReturn]
    private static void ThrowInvalid(LineProtocolError error, NameKind kind, string problem) =>
        ThrowInvalid(error, ElementName(kind), problem);

    [DoesNotReturn]
    internal static void ThrowInvalid(LineProtocolError error, string element, string problem) =>
        throw new LineProtocolException(error, element, $"The {element} {problem}.");

    private static string ElementName(NameKind kind) => kind switch
    {
        NameKind.Measurement => "measurement",
        NameKind.TagKey => "tag key",
        NameKind.TagValue => "tag value",
        _ => "field key",
    };
}

/// <summary>Where a name stands in a line; decides which characters are escaped.</summary>
internal enum NameKind
{
    Measurement,
    TagKey,
    TagValue,
    FieldKey,
}
