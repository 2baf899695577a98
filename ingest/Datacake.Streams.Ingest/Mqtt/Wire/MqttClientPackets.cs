using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Datacake.Streams.Ingest.Mqtt.Wire;

/// <summary>
/// The packets the bridge sends as a client (CONNECT, SUBSCRIBE, PINGREQ, DISCONNECT), written straight into the
/// connection's output, and the two answers it waits for (CONNACK, SUBACK). Publish acknowledgements are the same
/// bytes in both directions: <see cref="MqttReplies.Acknowledge"/>.
/// </summary>
internal static class MqttClientPackets
{
    private const byte SessionExpiryInterval = 0x11;
    private const byte ReceiveMaximum = 0x21;

    /// <summary>
    /// CONNECT with Clean Session / Clean Start off: the broker keeps the session (subscriptions, queued QoS 1 and 2
    /// messages) across connections. MQTT 5 also states how long (session expiry) and how many messages may be in
    /// flight to us (receive maximum).
    /// </summary>
    public static void Connect(IBufferWriter<byte> output, bool v5, string clientId, ushort keepAliveSeconds, string? username, string? password, uint sessionExpirySeconds, ushort receiveMaximum)
    {
        var clientIdLength = Encoding.UTF8.GetByteCount(clientId);
        var usernameLength = username is null ? -1 : Encoding.UTF8.GetByteCount(username);
        var passwordLength = username is null || password is null ? -1 : Encoding.UTF8.GetByteCount(password);
        var properties = v5 ? (1 + 4) + (1 + 2) : 0;

        // Protocol name (6), level (1), flags (1), keep-alive (2).
        var remaining = 10 + (v5 ? MqttReplies.VariableIntegerLength(properties) + properties : 0) + 2 + clientIdLength;
        if (usernameLength >= 0)
        {
            remaining += 2 + usernameLength;
        }

        if (passwordLength >= 0)
        {
            remaining += 2 + passwordLength;
        }

        var span = output.GetSpan(1 + MqttReplies.VariableIntegerLength(remaining) + remaining);
        span[0] = 0x10;
        var at = 1 + MqttReplies.WriteVariableInteger(span[1..], remaining);
        BinaryPrimitives.WriteUInt16BigEndian(span[at..], 4);
        "MQTT"u8.CopyTo(span[(at + 2)..]);
        at += 6;
        span[at++] = (byte)(v5 ? 5 : 4);
        span[at++] = (byte)((usernameLength >= 0 ? 0x80 : 0) | (passwordLength >= 0 ? 0x40 : 0));
        BinaryPrimitives.WriteUInt16BigEndian(span[at..], keepAliveSeconds);
        at += 2;
        if (v5)
        {
            at += MqttReplies.WriteVariableInteger(span[at..], properties);
            span[at++] = SessionExpiryInterval;
            BinaryPrimitives.WriteUInt32BigEndian(span[at..], sessionExpirySeconds);
            at += 4;
            span[at++] = ReceiveMaximum;
            BinaryPrimitives.WriteUInt16BigEndian(span[at..], receiveMaximum);
            at += 2;
        }

        at += WriteString(span[at..], clientId, clientIdLength);
        if (usernameLength >= 0)
        {
            at += WriteString(span[at..], username!, usernameLength);
        }

        if (passwordLength >= 0)
        {
            at += WriteString(span[at..], password!, passwordLength);
        }

        output.Advance(at);
    }

    /// <summary>SUBSCRIBE of every filter at one QoS (MQTT 5's other subscription options left at their defaults).</summary>
    public static void Subscribe(IBufferWriter<byte> output, bool v5, ushort packetId, IReadOnlyList<string> filters, int qos)
    {
        var remaining = 2 + (v5 ? 1 : 0);
        foreach (var filter in filters)
        {
            remaining += 2 + Encoding.UTF8.GetByteCount(filter) + 1;
        }

        var span = output.GetSpan(1 + MqttReplies.VariableIntegerLength(remaining) + remaining);
        span[0] = 0x82;
        var at = 1 + MqttReplies.WriteVariableInteger(span[1..], remaining);
        BinaryPrimitives.WriteUInt16BigEndian(span[at..], packetId);
        at += 2;
        if (v5)
        {
            span[at++] = 0;
        }

        foreach (var filter in filters)
        {
            at += WriteString(span[at..], filter, Encoding.UTF8.GetByteCount(filter));
            span[at++] = (byte)qos;
        }

        output.Advance(at);
    }

    public static void PingReq(IBufferWriter<byte> output)
    {
        var span = output.GetSpan(2);
        span[0] = 0xC0;
        span[1] = 0;
        output.Advance(2);
    }

    /// <summary>A normal DISCONNECT: the broker keeps the session and discards no will (the bridge sets none).</summary>
    public static void Disconnect(IBufferWriter<byte> output)
    {
        var span = output.GetSpan(2);
        span[0] = 0xE0;
        span[1] = 0;
        output.Advance(2);
    }

    /// <summary>
    /// CONNACK's session-present flag and its code: 3.1.1's return code or MQTT 5's reason code, 0 for success in
    /// both. False for a malformed packet.
    /// </summary>
    public static bool TryParseConnAck(byte header, ReadOnlySpan<byte> body, bool v5, out bool sessionPresent, out byte code)
    {
        sessionPresent = false;
        code = 0;
        var reader = new MqttReader(body);
        if (header != 0x20 || !reader.TryReadByte(out var flags) || (flags & 0xFE) != 0 || !reader.TryReadByte(out code))
        {
            return false;
        }

        sessionPresent = (flags & 0x01) != 0;
        return !v5 || reader.TryReadProperties(out _);
    }

    /// <summary>SUBACK: its packet id and one granted QoS (or failure code ≥ 0x80) per filter, in the order asked.</summary>
    public static bool TryParseSubAck(byte header, ReadOnlySpan<byte> body, bool v5, out ushort packetId, out ReadOnlySpan<byte> codes)
    {
        codes = default;
        var reader = new MqttReader(body);
        packetId = 0;
        if (header != 0x90 || !reader.TryReadUInt16(out packetId) || (v5 && !reader.TryReadProperties(out _)))
        {
            return false;
        }

        codes = reader.Rest;
        return codes.Length > 0;
    }

    private static int WriteString(Span<byte> destination, string value, int length)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)length);
        Encoding.UTF8.GetBytes(value, destination[2..]);
        return 2 + length;
    }
}
