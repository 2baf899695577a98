using System.Buffers.Binary;
using System.Text;

namespace Datacake.Streams.LoadGen.Mqtt;

/// <summary>
/// The few MQTT packets a publishing device needs, encoded and decoded by hand (MQTT 3.1.1 and 5.0 §2-3): CONNECT,
/// CONNACK, PUBACK, DISCONNECT, and the framing (fixed header, variable byte integer) that every packet shares.
/// Decoding works in place on the received bytes.
/// </summary>
internal static class MqttCodec
{
    public const byte Connect = 1;
    public const byte ConnAck = 2;
    public const byte Publish = 3;
    public const byte PubAck = 4;
    public const byte PingResp = 13;
    public const byte Disconnect = 14;

    /// <summary>The largest remaining length a variable byte integer of four bytes can carry.</summary>
    public const int MaxRemainingLength = 268_435_455;

    /// <summary>
    /// CONNECT with a clean start, the given keep-alive, and user name and password when a password is given (the
    /// platform's brokers take the token as the password). MQTT 5 adds an empty property list.
    /// </summary>
    public static byte[] EncodeConnect(MqttVersion version, string clientId, string? userName, string? password, ushort keepAliveSeconds)
    {
        var variable = new List<byte>(64);
        AppendString(variable, "MQTT");
        variable.Add((byte)version);
        byte flags = 0x02; // clean session / clean start
        if (userName is not null)
        {
            flags |= 0x80;
        }

        if (password is not null)
        {
            flags |= 0x40;
        }

        variable.Add(flags);
        variable.Add((byte)(keepAliveSeconds >> 8));
        variable.Add((byte)keepAliveSeconds);
        if (version == MqttVersion.V500)
        {
            variable.Add(0); // no properties
        }

        AppendString(variable, clientId);
        if (userName is not null)
        {
            AppendString(variable, userName);
        }

        if (password is not null)
        {
            AppendString(variable, password);
        }

        return Frame((Connect << 4) | 0, variable);
    }

    /// <summary>DISCONNECT, normal: two bytes in both versions (MQTT 5 omits reason 0 and the properties when the length is 0).</summary>
    public static byte[] EncodeDisconnect() => [Disconnect << 4, 0];

    /// <summary>Writes <paramref name="value"/> as a variable byte integer; returns the bytes written (1-4).</summary>
    public static int WriteVariableInt(Span<byte> destination, int value)
    {
        if (value is < 0 or > MaxRemainingLength)
        {
            throw new ArgumentOutOfRangeException(nameof(value), value, "not a remaining length");
        }

        var i = 0;
        do
        {
            var digit = (byte)(value % 128);
            value /= 128;
            destination[i++] = value > 0 ? (byte)(digit | 0x80) : digit;
        }
        while (value > 0);

        return i;
    }

    public static int VariableIntSize(int value) => value switch
    {
        < 128 => 1,
        < 16_384 => 2,
        < 2_097_152 => 3,
        _ => 4,
    };

    /// <summary>
    /// The first whole packet of <paramref name="data"/>: its type (high nibble of the first byte), its body (what
    /// follows the remaining length) and its total size. False when the bytes end before the packet does; throws on a
    /// remaining length longer than four bytes (the stream is not MQTT).
    /// </summary>
    public static bool TryReadPacket(ReadOnlySpan<byte> data, out byte type, out ReadOnlySpan<byte> body, out int size)
    {
        type = 0;
        body = default;
        size = 0;
        if (data.Length < 2)
        {
            return false;
        }

        int length = 0, multiplier = 1, i = 1;
        while (true)
        {
            if (i >= data.Length)
            {
                return false;
            }

            var b = data[i++];
            length += (b & 0x7F) * multiplier;
            if ((b & 0x80) == 0)
            {
                break;
            }

            if (i == 5)
            {
                throw new InvalidDataException("MQTT remaining length longer than 4 bytes");
            }

            multiplier *= 128;
        }

        if (data.Length - i < length)
        {
            return false;
        }

        type = (byte)(data[0] >> 4);
        body = data.Slice(i, length);
        size = i + length;
        return true;
    }

    /// <summary>
    /// A PUBACK body: the packet id and the reason code (0 = success; MQTT 3.1.1 has none, MQTT 5 omits it when it is 0
    /// and there are no properties). False when the body is shorter than a packet id.
    /// </summary>
    public static bool TryReadPubAck(ReadOnlySpan<byte> body, out ushort packetId, out byte reason)
    {
        packetId = 0;
        reason = 0;
        if (body.Length < 2)
        {
            return false;
        }

        packetId = BinaryPrimitives.ReadUInt16BigEndian(body);
        reason = body.Length > 2 ? body[2] : (byte)0;
        return true;
    }

    /// <summary>A CONNACK body's return code (3.1.1) or reason code (5): 0 is accepted.</summary>
    public static byte ConnAckCode(ReadOnlySpan<byte> body) =>
        body.Length >= 2 ? body[1] : throw new InvalidDataException("CONNACK shorter than 2 bytes");

    private static void AppendString(List<byte> bytes, string text)
    {
        var utf8 = Encoding.UTF8.GetBytes(text);
        if (utf8.Length > ushort.MaxValue)
        {
            throw new ArgumentException("an MQTT string holds at most 65,535 bytes", nameof(text));
        }

        bytes.Add((byte)(utf8.Length >> 8));
        bytes.Add((byte)utf8.Length);
        bytes.AddRange(utf8);
    }

    private static byte[] Frame(int firstByte, List<byte> rest)
    {
        Span<byte> length = stackalloc byte[4];
        var lengthSize = WriteVariableInt(length, rest.Count);
        var packet = new byte[1 + lengthSize + rest.Count];
        packet[0] = (byte)firstByte;
        length[..lengthSize].CopyTo(packet.AsSpan(1));
        rest.CopyTo(packet, 1 + lengthSize);
        return packet;
    }
}
