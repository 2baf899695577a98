using System.Buffers.Text;
using System.Globalization;

namespace Datacake.Streams.LineProtocol;

/// <summary>The type of a field value, from its spelling.</summary>
public enum LineProtocolFieldKind
{
    Float,
    Integer,
    Unsigned,
    Boolean,
    String,
}

/// <summary>One field of a parsed line: its escaped key and its value as written (a string without its quotes, still escaped).</summary>
public readonly ref struct LineProtocolField
{
    internal LineProtocolField(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        Key = key;
        Kind = KindOf(value);
        Value = Kind == LineProtocolFieldKind.String ? value[1..^1] : value;
    }

    public ReadOnlySpan<byte> Key { get; }

    public LineProtocolFieldKind Kind { get; }

    public ReadOnlySpan<byte> Value { get; }

    public double Float => double.Parse(Value, NumberStyles.Float, CultureInfo.InvariantCulture);

    public long Integer => Utf8Parser.TryParse(Value[..^1], out long value, out _) ? value : 0;

    public ulong Unsigned => Utf8Parser.TryParse(Value[..^1], out ulong value, out _) ? value : 0;

    public bool Boolean => TryBoolean(Value, out var value) && value;

    internal static LineProtocolFieldKind KindOf(ReadOnlySpan<byte> value) => value[0] switch
    {
        (byte)'"' => LineProtocolFieldKind.String,
        (byte)'t' or (byte)'T' or (byte)'f' or (byte)'F' => LineProtocolFieldKind.Boolean,
        _ => value[^1] switch
        {
            (byte)'i' => LineProtocolFieldKind.Integer,
            (byte)'u' => LineProtocolFieldKind.Unsigned,
            _ => LineProtocolFieldKind.Float,
        },
    };

    internal static bool TryBoolean(ReadOnlySpan<byte> value, out bool result)
    {
        result = value.SequenceEqual("t"u8) || value.SequenceEqual("T"u8) || value.SequenceEqual("true"u8) || value.SequenceEqual("True"u8) || value.SequenceEqual("TRUE"u8);
        return result || value.SequenceEqual("f"u8) || value.SequenceEqual("F"u8) || value.SequenceEqual("false"u8) || value.SequenceEqual("False"u8) || value.SequenceEqual("FALSE"u8);
    }
}

/// <summary>One tag of a parsed line, key and value escaped.</summary>
public readonly ref struct LineProtocolTag(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
{
    public ReadOnlySpan<byte> Key { get; } = key;

    public ReadOnlySpan<byte> Value { get; } = value;
}

/// <summary>The tags of a checked line, in order (<c>foreach</c> without allocation).</summary>
public ref struct LineProtocolTags(ReadOnlySpan<byte> section)
{
    private ReadOnlySpan<byte> _rest = section;

    public LineProtocolTag Current { get; private set; }

    public readonly LineProtocolTags GetEnumerator() => this;

    public bool MoveNext()
    {
        if (_rest.IsEmpty)
        {
            return false;
        }

        var keyEnd = LineProtocolPoint.ScanName(_rest, 0, stopAtEquals: true);
        var valueEnd = LineProtocolPoint.ScanName(_rest, keyEnd + 1, stopAtEquals: true);
        Current = new LineProtocolTag(_rest[..keyEnd], _rest[(keyEnd + 1)..valueEnd]);
        _rest = valueEnd < _rest.Length ? _rest[(valueEnd + 1)..] : default;
        return true;
    }
}

/// <summary>The fields of a checked line, in order (<c>foreach</c> without allocation).</summary>
public ref struct LineProtocolFields(ReadOnlySpan<byte> section)
{
    private ReadOnlySpan<byte> _rest = section;

    public LineProtocolField Current { get; private set; }

    public readonly LineProtocolFields GetEnumerator() => this;

    public bool MoveNext()
    {
        if (_rest.IsEmpty)
        {
            return false;
        }

        var keyEnd = LineProtocolPoint.ScanName(_rest, 0, stopAtEquals: true);
        var valueEnd = LineProtocolPoint.ValueEnd(_rest, keyEnd + 1);
        Current = new LineProtocolField(_rest[..keyEnd], _rest[(keyEnd + 1)..valueEnd]);
        _rest = valueEnd < _rest.Length ? _rest[(valueEnd + 1)..] : default;
        return true;
    }
}
