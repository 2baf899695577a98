using System.Buffers.Binary;
using System.Text;

namespace Datacake.Streams.Ingest.Mqtt.Wire;

/// <summary>
/// Reads the data representations of MQTT (§1.5 of both versions) from one packet's body, in place. Every method
/// returns false on a body that ends early or holds an invalid value, and the caller treats the packet as malformed.
/// </summary>
internal ref struct MqttReader(ReadOnlySpan<byte> body)
{
    private readonly ReadOnlySpan<byte> _body = body;

    public int Position { get; private set; }

    public readonly int Remaining => _body.Length - Position;

    public readonly ReadOnlySpan<byte> Rest => _body[Position..];

    public bool TryReadByte(out byte value)
    {
        if (Remaining < 1)
        {
            value = 0;
            return false;
        }

        value = _body[Position++];
        return true;
    }

    public bool TryReadUInt16(out ushort value)
    {
        if (Remaining < 2)
        {
            value = 0;
            return false;
        }

        value = BinaryPrimitives.ReadUInt16BigEndian(_body[Position..]);
        Position += 2;
        return true;
    }

    public bool TryReadUInt32(out uint value)
    {
        if (Remaining < 4)
        {
            value = 0;
            return false;
        }

        value = BinaryPrimitives.ReadUInt32BigEndian(_body[Position..]);
        Position += 4;
        return true;
    }

    public bool TryReadVariableInteger(out int value)
    {
        value = 0;
        for (var shift = 0; shift < 28; shift += 7)
        {
            if (!TryReadByte(out var digit))
            {
                return false;
            }

            value |= (digit & 0x7F) << shift;
            if ((digit & 0x80) == 0)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Two-byte length, then that many bytes (binary data, and UTF-8 strings before their check).</summary>
    public bool TryReadBinary(out ReadOnlySpan<byte> value)
    {
        value = default;
        if (!TryReadUInt16(out var length) || Remaining < length)
        {
            return false;
        }

        value = _body.Slice(Position, length);
        Position += length;
        return true;
    }

    /// <summary>A UTF-8 string: well-formed UTF-8 and no U+0000 (MQTT-1.5.3-1, -2); the caller decides whether it needs a .NET string.</summary>
    public bool TryReadUtf8(out ReadOnlySpan<byte> value) =>
        TryReadBinary(out value) && System.Text.Unicode.Utf8.IsValid(value) && !value.Contains((byte)0);

    public bool TryReadString(out string value)
    {
        if (!TryReadUtf8(out var utf8))
        {
            value = string.Empty;
            return false;
        }

        value = Encoding.UTF8.GetString(utf8);
        return true;
    }

    public bool TrySkip(int count)
    {
        if (count < 0 || Remaining < count)
        {
            return false;
        }

        Position += count;
        return true;
    }

    /// <summary>
    /// The next MQTT 5 property of a property block (§2.2.2.2): its identifier and, by the identifier's type, either an
    /// integer (byte, two-byte, four-byte, variable) or the bytes of a string or binary value (a string pair: both, the
    /// name in <paramref name="data"/>). False for an unknown identifier: a malformed packet.
    /// </summary>
    public bool TryReadProperty(out byte id, out uint number, out ReadOnlySpan<byte> data)
    {
        number = 0;
        data = default;
        if (!TryReadByte(out id))
        {
            return false;
        }

        switch (id)
        {
            case 0x01 or 0x17 or 0x19 or 0x24 or 0x25 or 0x28 or 0x29 or 0x2A:
                var one = TryReadByte(out var b);
                number = b;
                return one;
            case 0x13 or 0x21 or 0x22 or 0x23:
                var two = TryReadUInt16(out var s);
                number = s;
                return two;
            case 0x02 or 0x11 or 0x18 or 0x27:
                return TryReadUInt32(out number);
            case 0x0B:
                var variable = TryReadVariableInteger(out var v);
                number = (uint)v;
                return variable;
            case 0x03 or 0x08 or 0x12 or 0x15 or 0x1A or 0x1C or 0x1F:
                return TryReadUtf8(out data);
            case 0x09 or 0x16:
                return TryReadBinary(out data);
            case 0x26:
                return TryReadUtf8(out data) && TryReadUtf8(out _);
            default:
                return false;
        }
    }

    /// <summary>An MQTT 5 property block: its length, then the properties, as a reader of their own.</summary>
    public bool TryReadProperties(out ReadOnlySpan<byte> properties)
    {
        properties = default;
        if (!TryReadVariableInteger(out var length) || Remaining < length)
        {
            return false;
        }

        properties = _body.Slice(Position, length);
        Position += length;
        return true;
    }
}
